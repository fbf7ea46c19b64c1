"""Optional generative answers: LLM backends and the grounding check that guards them.

A backend turns chat messages into a reply: `OpenAICompatibleBackend` speaks the OpenAI chat
completions protocol over HTTP (vLLM, Ollama, llama.cpp server), `LlamaCppBackend` runs a local
GGUF file through llama-cpp-python (extra `llm`). `build_prompt` puts the retrieved passages,
numbered, into the prompt; `grounded_answer` asks the backend and `check_grounding` accepts the
reply only when every sentence cites a passage that was given and is covered by it. A reply that
fails comes back with `supported=False` and the reason; the caller then answers extractively.

The check is lexical, so it is conservative: a faithful paraphrase in other words may fail (and
the extractive answer is used), while a sentence that passes uses the cited passages' own words
and numbers with the same polarity (negated or not) as the passage sentence closest to it.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import threading
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from medsage.errors import EmptyInputError, InvalidInputError, MedSageError, MissingFileError

logger = logging.getLogger(__name__)

# A sentence passes when at least this share of its content words occurs in the passages it
# cites. A design threshold, not a published constant: 0.6 leaves room for the connecting words
# of a paraphrase ("usually", "helps") while a sentence that is mostly the model's own wording
# fails. tests/unit/consult/test_llm.py measures shares either side of it.
MIN_COVERAGE = 0.6
DEFAULT_MAX_TOKENS = 512
MAX_REASONS = 3  # failing sentences named in a reason; the rest are counted
# 0.0: the most likely reply, so the same question and passages give the same answer.
DEFAULT_TEMPERATURE = 0.0

# The exact sentence the prompt asks for when the passages do not answer the question.
NOT_IN_SOURCES = {
    "en": "The provided sources do not answer this question.",
    "zh": "所提供的资料无法回答这个问题。",
}
_SYSTEM_PROMPT = {
    "en": (
        "You answer health questions for patients and caregivers. Rules:\n"
        "1. Use only the numbered passages below. Do not add facts, numbers or advice that "
        "are not in them.\n"
        "2. End every sentence with the number of the passage it comes from in square "
        "brackets, for example [1] or [1][2].\n"
        '3. If the passages do not answer the question, reply only: "{not_in_sources}"\n'
        "4. Never diagnose the user and never say which disease the user has.\n"
        "5. Answer in English, in at most five short sentences, as plain text without lists, "
        "headings or a reference list."
    ),
    "zh": (
        "你为患者和家属回答健康问题。规则：\n"
        "1. 只能使用下面编号的资料，不要添加资料中没有的事实、数字或建议。\n"
        "2. 每句话结尾用方括号标出它依据的资料编号，例如 [1] 或 [1][2]。\n"
        "3. 如果资料不能回答这个问题，只回复：“{not_in_sources}”\n"
        "4. 绝不对用户作出诊断，也不要说用户得了什么病。\n"
        "5. 用中文回答，最多五句短句，使用纯文本，不要列表、标题或参考文献列表。"
    ),
}
_USER_PROMPT = {
    "en": "Passages:\n\n{passages}\n\nQuestion: {question}",
    "zh": "资料：\n\n{passages}\n\n问题：{question}",
}

# A citation: "[1]", "[1, 2]", "[1-3]", "【2】", "［3］", "[Passage 1]", "[资料1]".
_CITATION = re.compile(
    r"[\[【［]\s*(?:passages?|sources?|refs?|资料|来源)?\s*"
    r"(\d{1,3}(?:\s*[,，、;；\-–~～]\s*\d{1,3})*)\s*[\]】］]",
    re.IGNORECASE,
)
_LEADING_CITATIONS = re.compile(rf"(?:\s*{_CITATION.pattern})+\s*[.。!！?？]?", re.IGNORECASE)
_REFERENCE_LIST = re.compile(
    r"^(?:sources?|references?|citations?|参考资料|参考文献|资料来源|来源)\s*[:：][\s.,;，；、]*$",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+", re.MULTILINE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Function words and hedges that carry no claim: they need no support from a passage. Negation
# words are left out on purpose; they are checked as polarity instead (see `_negated`).
_STOP_EN = frozenset(
    """a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each either else ever few for
    from further had has have having he her here hers him his how however i if in into is it its
    itself just may me might more most must my myself of off often on once only or other our
    ours out over own per please same she should so some such than that the their theirs them
    then there these they this those through to too under until up usually very was we were
    what when where whether which while who whom why will with would yes you your yours
    yourself generally typically sometimes""".split()
)
_STOP_ZH = frozenset(
    """的 地 得 了 着 过 和 与 及 或 是 在 有 为 对 以 等 被 把 也 就 都 而 之 其 于 从 向 到 由
    这 那 个 我 你 他 她 它 吗 呢 吧 啊 呀 所 并 且 则 若 该 此 各 每 我们 你们 他们 以及 或者
    但是 因为 所以 如果 什么 怎么 怎样 如何 哪些 哪个 是否 可以 可能 一些 这些 那些 其中 还是
    还有 需要 应该 能否 一般 通常 往往 一下 请问 此外 另外 同时 因此 主要 包括 比如 例如 就是
    还 会 能 要""".split()
)
_NEGATION_EN = frozenset("not no never none nor neither cannot without".split())
# Characters that negate in Chinese; "别" is left out (区别, 特别), "忌" covers 禁忌 and 忌口.
_NEGATION_ZH = ("不", "没", "无", "未", "勿", "禁止", "忌")


class PassageLike(Protocol):
    """A retrieved passage as the prompt numbers it ([1], [2], ...)."""

    @property
    def number(self) -> int: ...

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...


class LlmBackend(Protocol):
    """Anything that answers chat messages ({"role": ..., "content": ...}) with text."""

    def chat(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float) -> str:
        """Return the assistant's reply to `messages`."""
        ...


class BackendError(MedSageError, RuntimeError):
    """A generative backend could not be reached, failed, or answered in an unknown shape."""


@dataclass(frozen=True)
class GeneratedAnswer:
    """A backend's reply and the verdict of the grounding check.

    `sentences` holds each sentence without its citation marks and the passage numbers it
    cites. `supported` is True only when every sentence passed; `reason` says why not (which
    sentence, what failed) or, when it passed, what was checked.
    """

    text: str
    sentences: list[tuple[str, tuple[int, ...]]]
    supported: bool
    reason: str


# --------------------------------------------------------------------------------------------
# Backends


class OpenAICompatibleBackend:
    """A chat completions endpoint (OpenAI protocol): vLLM, Ollama, llama.cpp server.

    Args:
        base_url: the server root, e.g. "http://127.0.0.1:8080"; a trailing "/v1" is accepted.
        model: the model name the server expects.
        api_key: sent as a Bearer token when given (never shown in errors).
        timeout: seconds to wait for the whole reply.

    The connection is direct: HTTP(S)_PROXY settings are ignored.
    """

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url.strip()) if isinstance(base_url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInputError(
                "base_url must be an http(s) URL such as http://127.0.0.1:8080, got "
                + (repr(base_url) if "@" not in str(base_url) else "a value with credentials")
            )
        if "@" in parsed.netloc:  # urllib cannot send them; never echo them either
            raise InvalidInputError(
                f"base_url {_display_url(base_url.strip())} carries a user name or password; "
                "pass the key as api_key instead"
            )
        if not isinstance(model, str) or not model.strip():
            raise InvalidInputError(f"model must name the server's model, got {model!r}")
        if not timeout > 0:
            raise InvalidInputError(f"timeout must be a positive number of seconds, got {timeout}")
        root = base_url.strip().rstrip("/")
        root = root.removesuffix("/v1")
        self.base_url = root
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    @property
    def endpoint(self) -> str:
        """The URL the backend posts to."""
        return f"{self.base_url}/v1/chat/completions"

    def chat(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float) -> str:
        """POST the messages and return choices[0].message.content."""
        _check_messages(messages)
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        where = _display_url(self.endpoint)
        try:
            with _DIRECT.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise BackendError(
                f"the chat server at {where} answered HTTP {exc.code} {exc.reason}; check that "
                f"it serves the model {self.model!r} and the OpenAI chat completions protocol"
            ) from None
        except urllib.error.URLError as exc:
            raise BackendError(
                f"could not reach the chat server at {where} ({_reason(exc.reason)}); start "
                "the server or correct its URL"
            ) from None
        except TimeoutError:
            raise BackendError(
                f"the chat server at {where} did not answer within {self.timeout} s; "
                "raise the timeout or use a smaller model"
            ) from None
        except OSError as exc:
            raise BackendError(
                f"the connection to the chat server at {where} failed ({_reason(exc)})"
            ) from None
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackendError(
                f"the chat server at {where} answered with {len(raw)} bytes that are not JSON; "
                "is the URL an OpenAI-compatible server?"
            ) from None
        logger.debug("chat reply from %s: %d bytes", where, len(raw))
        return _reply_content(payload, where)


class LlamaCppBackend:
    """A local GGUF model run in-process by llama-cpp-python (`pip install medsage[llm]`).

    The model loads on the first `chat` call, so building the backend is cheap.

    Args:
        model_path: the .gguf file.
        n_ctx: context window in tokens (prompt plus reply).
        n_threads: CPU threads; None lets llama.cpp choose.
        seed: sampling seed, so a reply repeats run to run.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self._llama: Any = None
        self._lock = threading.Lock()

    def chat(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float) -> str:
        """Run the chat completion locally and return the reply text."""
        _check_messages(messages)
        llama = self._load()
        with self._lock:  # a llama.cpp context serves one completion at a time
            payload = llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, seed=self.seed
            )
        return _reply_content(payload, self.model_path.name)

    def _load(self) -> Any:
        with self._lock:
            if self._llama is None:
                if not self.model_path.is_file():
                    raise MissingFileError(
                        f"GGUF model file {self.model_path} does not exist; give the path of "
                        "a .gguf file"
                    )
                try:
                    llama_cpp = importlib.import_module("llama_cpp")  # the optional extra
                except ImportError:
                    raise BackendError(
                        "the local GGUF backend needs llama-cpp-python, which is not installed; "
                        "run: pip install medsage[llm]"
                    ) from None
                try:
                    self._llama = llama_cpp.Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
                except ValueError as exc:  # llama-cpp-python's word for an unreadable file
                    raise BackendError(
                        f"llama.cpp could not load {self.model_path.name}: {exc}"
                    ) from None
                logger.info("loaded GGUF model %s", self.model_path.name)
            return self._llama


# Connect straight to the server: proxies from the environment are not used, so a prompt
# (which may carry patient details) never passes through a third party on its way.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _check_messages(messages: list[dict[str, str]]) -> None:
    if not messages or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in messages
    ):
        raise InvalidInputError(
            f"messages must be a non-empty list of {{'role': str, 'content': str}} dicts, got "
            f"{len(messages) if isinstance(messages, list) else type(messages).__name__} items"
        )


def _reply_content(payload: object, where: str) -> str:
    """choices[0].message.content of a chat completion, or a BackendError naming `where`."""
    try:
        content = payload["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        raise BackendError(
            f"the reply from {where} has no choices[0].message.content; it does not follow the "
            "OpenAI chat completions protocol"
        ) from None
    if not isinstance(content, str):
        raise BackendError(
            f"the reply from {where} carries {type(content).__name__} instead of text in "
            "choices[0].message.content"
        )
    return content


def _display_url(url: str) -> str:
    """The URL without user:password@ (credentials never go into messages)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    return type(reason).__name__ if isinstance(reason, BaseException) else str(reason)


# --------------------------------------------------------------------------------------------
# Prompt


def build_prompt(question: str, passages: Sequence[PassageLike], lang: str) -> list[dict[str, str]]:
    """The chat messages that ask for an answer from the numbered passages only.

    Args:
        question: the user's question.
        passages: the retrieved passages; each is shown as "[number] title" then its text.
        lang: "en" or "zh" ("mixed" answers in Chinese); the answer's language.
    """
    language = _prompt_language(lang)
    if not isinstance(question, str) or not question.strip():
        raise EmptyInputError("the question is empty; ask a question to answer")
    _passage_table(passages)
    blocks = "\n\n".join(
        f"[{p.number}] {p.title.strip()}\n{p.text.strip()}"
        if p.title.strip()
        else f"[{p.number}] {p.text.strip()}"
        for p in passages
    )
    system = _SYSTEM_PROMPT[language].format(not_in_sources=NOT_IN_SOURCES[language])
    user = _USER_PROMPT[language].format(passages=blocks, question=question.strip())
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _prompt_language(lang: str) -> str:
    if lang in ("en", "zh"):
        return lang
    if lang == "mixed":
        return "zh"
    raise InvalidInputError(f"lang must be 'en', 'zh' or 'mixed', got {lang!r}")


def _passage_table(passages: Sequence[PassageLike]) -> dict[int, PassageLike]:
    if not passages:
        raise EmptyInputError(
            "no passages to ground a generated answer in; retrieve passages first or answer "
            "extractively"
        )
    table: dict[int, PassageLike] = {}
    for passage in passages:
        if passage.number in table:
            raise InvalidInputError(
                f"passage number {passage.number} is given twice (ids {table[passage.number].id}"
                f" and {passage.id}); number passages 1, 2, 3, ..."
            )
        table[passage.number] = passage
    return table


# --------------------------------------------------------------------------------------------
# Grounding


def grounded_answer(
    question: str,
    passages: Sequence[PassageLike],
    backend: LlmBackend,
    lang: str,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    temperature: float = DEFAULT_TEMPERATURE,
) -> GeneratedAnswer:
    """Ask `backend` to answer from `passages` and check the reply (see `check_grounding`).

    Raises BackendError when the backend fails; an unsupported reply is not an error but an
    answer with `supported=False`.
    """
    messages = build_prompt(question, passages, lang)
    reply = backend.chat(messages, max_tokens=max_tokens, temperature=temperature)
    answer = check_grounding(reply, passages, lang)
    logger.info(
        "generated answer: %d sentences, %d passages, supported=%s",
        len(answer.sentences),
        len(passages),
        answer.supported,
    )
    return answer


def check_grounding(reply: str, passages: Sequence[PassageLike], lang: str) -> GeneratedAnswer:
    """Accept `reply` only when each sentence cites given passages that support it.

    A sentence passes when (1) it cites at least one passage number, (2) every number it
    cites was given, (3) every number it states (doses, ages, days) occurs in its cited
    passages, (4) at least `MIN_COVERAGE` of its content words do (English: lower-cased
    Snowball stems without function words; Chinese: jieba words of two or more characters,
    found as substrings), and (5) it is negated exactly when the cited passage sentence
    that shares most words with it is (so "is not recommended" cannot become "is
    recommended"). The "not in the sources" reply the prompt asks for is unsupported, with
    that as the reason.
    """
    _prompt_language(lang)  # the check itself reads both languages; `lang` is validated
    table = _passage_table(passages)
    if not isinstance(reply, str) or not reply.strip():
        return GeneratedAnswer("", [], False, "the backend returned an empty reply")
    text = reply.strip()
    sentences = _cited_sentences(text)
    if _is_not_in_sources(text):
        return GeneratedAnswer(
            text, sentences, False, "the backend said the passages do not answer the question"
        )
    if not sentences:
        return GeneratedAnswer(text, [], False, "the reply holds no sentence")
    failures = [
        f"sentence {i} of {len(sentences)} {why}"
        for i, (sentence, cited) in enumerate(sentences, start=1)
        if (why := _sentence_failure(sentence, cited, table)) is not None
    ]
    if failures:
        shown = failures[:MAX_REASONS]
        if len(failures) > MAX_REASONS:
            shown.append(f"{len(failures) - MAX_REASONS} more sentences fail")
        return GeneratedAnswer(text, sentences, False, "; ".join(shown))
    return GeneratedAnswer(
        text,
        sentences,
        True,
        f"{len(sentences)} of {len(sentences)} sentences cite given passages, state only numbers "
        f"found there and have at least {MIN_COVERAGE:.0%} of their content words there",
    )


def _cited_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences with their citation marks removed, and the numbers they cite, in order."""
    from medsage.text import split_sentences

    plain = _LIST_MARKER.sub("", text.replace("**", ""))
    pieces: list[str] = []
    for piece in split_sentences(plain):
        # "...fever. [1] Most..." and "...发热。[1]大多数...": marks that open a piece belong to
        # the sentence before it.
        lead = _LEADING_CITATIONS.match(piece)
        if pieces and lead:
            pieces[-1] += " " + lead.group()
            piece = piece[lead.end() :]
        if piece.strip():
            pieces.append(piece)
    out: list[tuple[str, tuple[int, ...]]] = []
    for piece in pieces:
        cited: list[int] = []
        for match in _CITATION.finditer(piece):
            cited.extend(n for n in _cited_numbers(match.group(1)) if n not in cited)
        sentence = _CITATION.sub("", piece)
        sentence = re.sub(r"\s+([.,;:!?。，；：！？])", r"\1", sentence)
        sentence = re.sub(r"\s{2,}", " ", sentence).strip()
        if _REFERENCE_LIST.match(sentence):
            continue  # "Sources: [1], [2]" restates citations; it claims nothing
        if sentence.strip(" .,;:!?。，；：！？、"):
            out.append((sentence, tuple(cited)))
        elif out and cited:  # a stray mark line: it cites for the sentence before it
            before, numbers = out[-1]
            out[-1] = (before, numbers + tuple(n for n in cited if n not in numbers))
    return out


def _cited_numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,，、;；]\s*", group):
        bounds = [int(n) for n in re.split(r"\s*[\-–~～]\s*", part) if n]
        if len(bounds) == 2 and bounds[0] <= bounds[1] <= bounds[0] + 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def _is_not_in_sources(text: str) -> bool:
    def squeeze(s: str) -> str:
        return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", s).lower())

    plain = squeeze(text)
    return any(squeeze(phrase) in plain for phrase in NOT_IN_SOURCES.values())


def _sentence_failure(
    sentence: str, cited: tuple[int, ...], table: dict[int, PassageLike]
) -> str | None:
    """Why `sentence` is not supported by its cited passages, or None when it is."""
    if not cited:
        return "cites no passage"
    unknown = [n for n in cited if n not in table]
    if unknown:
        given = ", ".join(str(n) for n in sorted(table))
        return f"cites {_marks(unknown)}, but only passages {given} were given"
    source = " ".join(table[n].text + "\n" + table[n].title for n in cited)
    words, numbers = _content(sentence)
    source_word_list, source_number_list = _content(source)
    source_words, source_numbers = set(source_word_list), set(source_number_list)
    invented = [n for n in numbers if n not in source_numbers]
    if invented:
        return (
            f"states {', '.join(invented)}, which its cited passages {_marks(cited)} do not contain"
        )
    if words:
        source_cjk = _squeezed(source)
        covered = sum(1 for w in words if w in source_words or (_CJK.search(w) and w in source_cjk))
        share = covered / len(words)
        if share < MIN_COVERAGE:
            return (
                f"has {covered} of {len(words)} content words ({share:.0%}) in its cited "
                f"passages {_marks(cited)}; at least {MIN_COVERAGE:.0%} are needed"
            )
    closest = _closest_sentence(words, [table[n].text for n in cited])
    if closest is not None and _negated(sentence) != _negated(closest):
        stated = "negates" if _negated(sentence) else "affirms"
        return (
            f"{stated} what the closest sentence of its cited passages {_marks(cited)} states "
            "the other way round"
        )
    return None


def _marks(numbers: list[int] | tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _content(text: str) -> tuple[list[str], list[str]]:
    """(content words, numbers) of `text`: stems and CJK words; numbers once each, in order."""
    from medsage.text import token_spans

    folded = _THOUSANDS.sub("", unicodedata.normalize("NFKC", text))
    words: list[str] = []
    numbers: dict[str, None] = {}  # ordered set
    for start, end in token_spans(folded):
        token = folded[start:end]
        if _CJK.search(token):
            numbers.update(dict.fromkeys(re.findall(r"\d+(?:\.\d+)?", token)))
            if len(token) >= 2 and token not in _STOP_ZH:
                words.append(token.lower())
        elif token[0].isdigit():
            numbers.update(dict.fromkeys(re.findall(r"\d+(?:\.\d+)?", token)))
        else:
            if token.lower().endswith("n't"):
                continue  # "don't", "isn't": negation, checked as polarity
            for part in re.findall(r"[A-Za-z0-9µ°]+", token.split("'", 1)[0]):
                lower = part.lower()
                if lower not in _STOP_EN and lower not in _NEGATION_EN and len(lower) > 1:
                    words.append(_stem(lower))
    return words, list(numbers)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _closest_sentence(words: list[str], texts: list[str]) -> str | None:
    """The sentence of `texts` that shares most content words with `words` (None: no overlap)."""
    from medsage.text import split_sentences

    wanted = set(words)
    best: str | None = None
    best_overlap = 0
    for text in texts:
        for candidate in split_sentences(text):
            overlap = len(wanted & set(_content(candidate)[0]))
            if overlap > best_overlap:
                best, best_overlap = candidate, overlap
    return best


def _negated(sentence: str) -> bool:
    lower = unicodedata.normalize("NFKC", sentence).lower().replace("’", "'")
    if any(cue in lower for cue in _NEGATION_ZH):
        return True
    return any(
        w in _NEGATION_EN or w.endswith("n't") for w in re.findall(r"[a-z]+(?:'[a-z]+)?", lower)
    )


_STEMMER: Any = None


def _stem(word: str) -> str:
    global _STEMMER
    if _STEMMER is None:
        # PyStemmer: the Snowball English stemmer, as the literature index uses
        import Stemmer  # type: ignore[import-not-found]

        _STEMMER = Stemmer.Stemmer("english")
    return str(_STEMMER.stemWord(word))
