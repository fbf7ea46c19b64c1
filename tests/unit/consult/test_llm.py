"""The grounding check of generated answers, the prompt, and the OpenAI-compatible client.

The client is tested against a real HTTP server on 127.0.0.1 (http.server in a thread) that
speaks the chat completions protocol and returns canned replies: the bytes on the wire are
real, only the model is not.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from medsage.consult._llm import (
    MIN_COVERAGE,
    NOT_IN_SOURCES,
    BackendError,
    GeneratedAnswer,
    LlamaCppBackend,
    OpenAICompatibleBackend,
    build_prompt,
    check_grounding,
    grounded_answer,
)
from medsage.errors import EmptyInputError, InvalidInputError, MissingFileError


@dataclass(frozen=True)
class Passage:
    number: int
    id: str
    title: str
    text: str


FLU_EN = Passage(
    1,
    "demo-en-flu",
    "Influenza",
    "Influenza (flu) causes fever, cough and muscle aches. Most people recover within 7 days. "
    "Aspirin is not recommended for children with flu.",
)
FLU_ZH = Passage(
    2,
    "demo-zh-flu",
    "流感",
    "流感患者常见发热、咳嗽和肌肉酸痛。大多数人在7天内康复。儿童流感不建议使用阿司匹林。",
)
PASSAGES = [FLU_EN, FLU_ZH]


def verdict(reply: str) -> tuple[bool, str]:
    answer = check_grounding(reply, PASSAGES, "en")
    return answer.supported, answer.reason


# ---------------------------------------------------------------- grounding check


def test_when_every_sentence_cites_and_is_covered_then_supported() -> None:
    answer = check_grounding(
        "Flu causes fever, cough and muscle aches [1]. Most people recover within 7 days [1].",
        PASSAGES,
        "en",
    )
    assert answer == GeneratedAnswer(
        text="Flu causes fever, cough and muscle aches [1]. Most people recover within 7 days [1].",
        sentences=[
            ("Flu causes fever, cough and muscle aches.", (1,)),
            ("Most people recover within 7 days.", (1,)),
        ],
        supported=True,
        reason="2 of 2 sentences cite given passages, state only numbers found there and have "
        "at least 60% of their content words there",
    )


def test_when_chinese_sentences_cite_and_are_covered_then_supported() -> None:
    answer = check_grounding(
        "流感常见发热、咳嗽和肌肉酸痛[2]。大多数人在7天内康复。[2]", PASSAGES, "zh"
    )
    assert answer.supported
    assert answer.sentences == [
        ("流感常见发热、咳嗽和肌肉酸痛。", (2,)),
        ("大多数人在7天内康复。", (2,)),
    ]


def test_when_a_sentence_cites_no_passage_then_unsupported_naming_the_sentence() -> None:
    assert verdict("Flu causes fever [1]. Most people recover within 7 days.") == (
        False,
        "sentence 2 of 2 cites no passage",
    )


def test_when_a_sentence_cites_a_passage_that_was_not_given_then_unsupported() -> None:
    assert verdict("Flu causes fever [3].") == (
        False,
        "sentence 1 of 1 cites [3], but only passages 1, 2 were given",
    )


def test_when_a_sentence_states_a_number_its_passages_lack_then_unsupported() -> None:
    assert verdict("Most people recover within 10 days [1].") == (
        False,
        "sentence 1 of 1 states 10, which its cited passages [1] do not contain",
    )


def test_when_a_number_is_in_another_passage_only_then_unsupported() -> None:
    # "1,000" is in passage 1 only; thousands separators are ignored.
    passages = [Passage(1, "a", "", "About 1000 cases were seen."), FLU_ZH]
    assert check_grounding("About 1,000 cases were seen [1].", passages, "en").supported
    assert check_grounding("About 1,000 cases were seen [2].", passages, "en").reason == (
        "sentence 1 of 1 states 1000, which its cited passages [2] do not contain"
    )


def test_when_a_sentence_is_mostly_the_models_own_words_then_unsupported_with_the_share() -> None:
    reply = "Flu causes fever [1]. It is best treated with antiviral drugs taken early [1]."
    assert verdict(reply) == (
        False,
        "sentence 2 of 2 has 0 of 6 content words (0%) in its cited passages [1]; "
        "at least 60% are needed",
    )


@pytest.mark.parametrize(
    ("reply", "share", "supported"),
    [
        # content words: flu, caus, fever, cough, muscl, ach -> 6 of 6
        ("Flu causes fever, cough and muscle aches [1].", 1.0, True),
        # flu, caus, fever, cough, chill -> 4 of 5
        ("Flu causes fever, cough and chills [1].", 0.8, True),
        # flu, caus, fever, chill, sweat -> 3 of 5, exactly the threshold
        ("Flu causes fever, chills and sweats [1].", 0.6, True),
        # flu, caus, chill, sweat, headach -> 2 of 5
        ("Flu causes chills, sweats and headaches [1].", 0.4, False),
    ],
)
def test_when_coverage_is_around_the_threshold_then_the_verdict_follows_it(
    reply: str, share: float, supported: bool
) -> None:
    assert MIN_COVERAGE == 0.6
    answer = check_grounding(reply, PASSAGES, "en")
    assert answer.supported is supported
    if not supported:
        assert f"({share:.0%})" in answer.reason


def test_when_a_sentence_drops_the_passages_negation_then_unsupported() -> None:
    assert verdict("Aspirin is recommended for children with flu [1].") == (
        False,
        "sentence 1 of 1 affirms what the closest sentence of its cited passages [1] states "
        "the other way round",
    )
    assert verdict("Children with flu should not take aspirin [1].")[0] is True


def test_when_a_chinese_sentence_drops_the_negation_then_unsupported() -> None:
    answer = check_grounding("儿童流感建议使用阿司匹林【2】。", PASSAGES, "zh")
    assert (answer.supported, answer.sentences) == (False, [("儿童流感建议使用阿司匹林。", (2,))])
    assert answer.reason.startswith("sentence 1 of 1 affirms")


@pytest.mark.parametrize(
    ("reply", "cited"),
    [
        ("Flu causes fever [1, 2].", (1, 2)),
        ("Flu causes fever [1-2].", (1, 2)),
        ("Flu causes fever [1][2].", (1, 2)),
        ("Flu causes fever. [1]", (1,)),
        ("Flu causes fever【1】.", (1,)),
        ("Flu causes fever ［1］.", (1,)),
        ("Flu causes fever [Passage 1].", (1,)),
        ("- **Flu** causes fever [1].", (1,)),
    ],
)
def test_when_citations_are_written_in_other_styles_then_they_are_read(
    reply: str, cited: tuple[int, ...]
) -> None:
    answer = check_grounding(reply, PASSAGES, "en")
    assert answer.sentences == [("Flu causes fever.", cited)]
    assert answer.supported


def test_when_a_citation_opens_the_next_line_then_it_belongs_to_the_sentence_before() -> None:
    answer = check_grounding(
        "Flu causes fever. [1] Most people recover within 7 days. [1]", PASSAGES, "en"
    )
    assert answer.sentences == [
        ("Flu causes fever.", (1,)),
        ("Most people recover within 7 days.", (1,)),
    ]


def test_when_many_sentences_fail_then_the_reason_names_three_and_counts_the_rest() -> None:
    supported, reason = verdict("Fever. Cough. Aches. Chills. Sneezing.")
    assert (supported, reason) == (
        False,
        "sentence 1 of 5 cites no passage; sentence 2 of 5 cites no passage; "
        "sentence 3 of 5 cites no passage; 2 more sentences fail",
    )


def test_when_the_reply_ends_with_a_reference_list_then_the_list_is_not_a_sentence() -> None:
    answer = check_grounding("Flu causes fever [1].\nSources: [1], [2]", PASSAGES, "en")
    assert (answer.supported, answer.sentences) == (True, [("Flu causes fever.", (1,))])
    answer = check_grounding("Flu causes fever.\n参考资料：[1]", PASSAGES, "en")
    assert (answer.supported, answer.reason) == (False, "sentence 1 of 1 cites no passage")


def test_when_the_backend_says_the_sources_do_not_answer_then_unsupported_with_that_reason() -> (
    None
):
    for lang in ("en", "zh"):
        answer = check_grounding(NOT_IN_SOURCES[lang], PASSAGES, lang)
        assert (answer.supported, answer.reason) == (
            False,
            "the backend said the passages do not answer the question",
        )


def test_when_the_reply_is_empty_then_unsupported() -> None:
    assert check_grounding("  \n", PASSAGES, "en") == GeneratedAnswer(
        "", [], False, "the backend returned an empty reply"
    )


def test_when_passages_are_missing_or_numbered_twice_then_a_clear_error() -> None:
    with pytest.raises(EmptyInputError, match="no passages"):
        check_grounding("Flu causes fever [1].", [], "en")
    with pytest.raises(InvalidInputError, match="passage number 1 is given twice"):
        check_grounding("Flu causes fever [1].", [FLU_EN, FLU_EN], "en")


# ---------------------------------------------------------------- prompt


def test_when_building_an_english_prompt_then_passages_are_numbered_and_rules_stated() -> None:
    messages = build_prompt(" What does flu cause? ", [FLU_EN], "en")
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "Use only the numbered passages" in system
    assert "[1] or [1][2]" in system
    assert NOT_IN_SOURCES["en"] in system
    assert "Never diagnose" in system
    assert "Answer in English" in system
    assert user == f"Passages:\n\n[1] Influenza\n{FLU_EN.text}\n\nQuestion: What does flu cause?"


def test_when_building_a_chinese_prompt_then_it_is_in_chinese() -> None:
    messages = build_prompt("流感有什么症状？", [FLU_ZH], "zh")
    assert "用中文回答" in messages[0]["content"]
    assert NOT_IN_SOURCES["zh"] in messages[0]["content"]
    assert messages[1]["content"] == f"资料：\n\n[2] 流感\n{FLU_ZH.text}\n\n问题：流感有什么症状？"


def test_when_the_language_or_question_is_bad_then_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="lang must be 'en', 'zh' or 'mixed', got 'fr'"):
        build_prompt("Why?", PASSAGES, "fr")
    with pytest.raises(EmptyInputError, match="question is empty"):
        build_prompt("  ", PASSAGES, "en")


# ---------------------------------------------------------------- HTTP client vs a real server


@dataclass
class ChatServer:
    """A chat completions server on 127.0.0.1 that answers what the test sets."""

    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def reply_with(self, content: object) -> None:
        self.status = 200
        self.body = json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": "test-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            time.sleep(state.delay_s)
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.write(state.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_when_the_server_answers_then_the_request_and_reply_follow_the_protocol(
    chat_server: ChatServer,
) -> None:
    chat_server.reply_with("Flu causes fever [1].")
    backend = OpenAICompatibleBackend(chat_server.url + "/v1/", "gemma", api_key="k-123")
    messages = [{"role": "user", "content": "流感 fever?"}]
    reply = backend.chat(messages, max_tokens=64, temperature=0.0)
    assert reply == "Flu causes fever [1]."
    [request] = chat_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer k-123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "model": "gemma",
        "messages": messages,
        "max_tokens": 64,
        "temperature": 0.0,
        "stream": False,
    }


def test_when_grounded_answer_goes_through_the_server_then_the_verdict_comes_back(
    chat_server: ChatServer,
) -> None:
    chat_server.reply_with("Most people recover within 7 days [1]. 大多数人在7天内康复[2]。")
    backend = OpenAICompatibleBackend(chat_server.url, "gemma")
    answer = grounded_answer("How long does flu last?", PASSAGES, backend, "en", max_tokens=99)
    assert answer.supported, answer.reason
    assert [cited for _s, cited in answer.sentences] == [(1,), (2,)]
    sent = chat_server.requests[0]["json"]
    assert sent["max_tokens"] == 99
    assert sent["messages"] == build_prompt("How long does flu last?", PASSAGES, "en")
    assert "Authorization" not in chat_server.requests[0]["headers"]


def test_when_the_server_answers_an_http_error_then_backend_error_names_the_url_not_the_prompt(
    chat_server: ChatServer,
) -> None:
    chat_server.status, chat_server.body = 500, b'{"error": {"message": "boom"}}'
    backend = OpenAICompatibleBackend(chat_server.url, "m")
    with pytest.raises(BackendError) as caught:
        backend.chat(
            [{"role": "user", "content": "patient Zhang San"}], max_tokens=8, temperature=0
        )
    assert str(caught.value) == (
        f"the chat server at {chat_server.url}/v1/chat/completions answered HTTP 500 "
        "Internal Server Error; check that it serves the model 'm' and the OpenAI chat "
        "completions protocol"
    )


def test_when_the_url_carries_credentials_then_invalid_input_without_them() -> None:
    with pytest.raises(InvalidInputError) as caught:
        OpenAICompatibleBackend("http://user:secret@127.0.0.1:8080", "m")
    assert str(caught.value) == (
        "base_url http://127.0.0.1:8080 carries a user name or password; pass the key as "
        "api_key instead"
    )


def test_when_the_server_answers_malformed_json_then_backend_error(chat_server: ChatServer) -> None:
    chat_server.body = b"<html>not json</html>"
    backend = OpenAICompatibleBackend(chat_server.url, "m")
    with pytest.raises(BackendError, match="answered with 21 bytes that are not JSON"):
        backend.chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"choices": []}', "has no choices\\[0\\].message.content"),
        (b'{"object": "error"}', "has no choices\\[0\\].message.content"),
        (b"[1, 2]", "has no choices\\[0\\].message.content"),
    ],
)
def test_when_the_reply_lacks_the_content_then_backend_error(
    chat_server: ChatServer, body: bytes, message: str
) -> None:
    chat_server.body = body
    with pytest.raises(BackendError, match=message):
        OpenAICompatibleBackend(chat_server.url, "m").chat(
            [{"role": "user", "content": "q"}], max_tokens=8, temperature=0
        )


def test_when_the_content_is_not_text_then_backend_error(chat_server: ChatServer) -> None:
    chat_server.reply_with(None)
    with pytest.raises(BackendError, match="carries NoneType instead of text"):
        OpenAICompatibleBackend(chat_server.url, "m").chat(
            [{"role": "user", "content": "q"}], max_tokens=8, temperature=0
        )


def test_when_nothing_listens_then_backend_error_says_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAICompatibleBackend(f"http://127.0.0.1:{port}", "m")
    with pytest.raises(BackendError) as caught:
        backend.chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0)
    assert str(caught.value) == (
        f"could not reach the chat server at http://127.0.0.1:{port}/v1/chat/completions "
        "(connection refused); start the server or correct its URL"
    )


def test_when_the_server_is_slower_than_the_timeout_then_backend_error(
    chat_server: ChatServer,
) -> None:
    chat_server.reply_with("late")
    chat_server.delay_s = 1.0
    backend = OpenAICompatibleBackend(chat_server.url, "m", timeout=0.2)
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0\.2 s"):
        backend.chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("url", "model", "message"),
    [
        ("127.0.0.1:8080", "m", "base_url must be an http\\(s\\) URL"),
        ("ftp://host", "m", "base_url must be an http\\(s\\) URL"),
        ("http://127.0.0.1:8080", " ", "model must name the server's model"),
    ],
)
def test_when_the_backend_settings_are_bad_then_invalid_input(
    url: str, model: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        OpenAICompatibleBackend(url, model)


def test_when_messages_are_malformed_then_invalid_input(chat_server: ChatServer) -> None:
    with pytest.raises(InvalidInputError, match="non-empty list"):
        OpenAICompatibleBackend(chat_server.url, "m").chat([], max_tokens=8, temperature=0)
    assert chat_server.requests == []


# ---------------------------------------------------------------- local GGUF backend


def test_when_the_gguf_file_is_missing_then_missing_file_error(tmp_path: Path) -> None:
    backend = LlamaCppBackend(tmp_path / "absent.gguf")
    with pytest.raises(MissingFileError, match=r"absent\.gguf does not exist"):
        backend.chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0)


def test_when_llama_cpp_is_not_installed_then_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # what an absent package looks like
    with pytest.raises(BackendError, match=r"pip install medsage\[llm\]"):
        LlamaCppBackend(model).chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0)


def test_when_the_consultant_uses_a_backend_then_supported_replies_are_used_and_others_fall_back(
    chat_server: ChatServer, tmp_path: Path, demo_kb: Any
) -> None:
    from medsage.consult import Consultant

    consultant = Consultant(
        demo_kb,
        conversations=tmp_path / "c.sqlite3",
        llm=OpenAICompatibleBackend(chat_server.url, "test-model"),
    )
    question = "How can I prevent gout attacks?"
    extractive = Consultant(demo_kb, conversations=tmp_path / "d.sqlite3").ask(question)
    quoted = extractive.sentences[0]["text"]
    chat_server.reply_with(f"{quoted} [1]")
    answer = consultant.ask(question)
    assert (answer.mode, answer.answer) == ("llm", f"{quoted} [1]")
    assert [c["number"] for c in answer.citations] == [1]
    chat_server.reply_with("Gout is cured by drinking more beer every day. [1]")
    fallback = consultant.ask(question)
    assert (fallback.mode, fallback.answer) == ("extractive", extractive.answer)
    assert fallback.notices[0].startswith("generated answer not used: sentence 1")
    chat_server.status, chat_server.body = 500, b"{}"
    down = consultant.ask(question)
    assert (down.mode, down.answer) == ("extractive", extractive.answer)
    assert "generated answer not used" in down.notices[0]
