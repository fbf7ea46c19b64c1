"""Language-neutral recognizers: e-mail, URL, IP address (invented sentences)."""

from __future__ import annotations

import pytest

from medsage.privacy import Analyzer
from medsage.privacy._recognizers_common import RECOGNIZERS

ANALYZER = Analyzer(RECOGNIZERS)


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in ANALYZER.analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+clinic@example.org today", [("jane.doe+clinic@example.org", "EMAIL")]),
        ("邮箱 zhang_san@qq.com 联系", [("zhang_san@qq.com", "EMAIL")]),
        (
            "see https://portal.example.com/records?id=7.",
            [("https://portal.example.com/records?id=7", "URL")],
        ),
        ("visit www.example.net, then call", [("www.example.net", "URL")]),
        ("device at 192.168.10.254 rebooted", [("192.168.10.254", "IP_ADDRESS")]),
        ("server 2001:db8::8a2e:370:7334 down", [("2001:db8::8a2e:370:7334", "IP_ADDRESS")]),
    ],
)
def test_when_identifier_present_then_exact_span(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "temp 37.5, Na 140, version 1.2.3",
        "invalid address 300.1.1.1 in the log",
        "seen at 12:30:45 on rounds",
        "dose 2.5 mg.",
    ],
)
def test_when_no_identifier_then_no_span(text: str) -> None:
    assert _found(text) == []
