"""Language-neutral recognizers: email, URL, IP address (used for every language)."""

from __future__ import annotations

import ipaddress
import re

from medsage.privacy._spans import (
    EMAIL,
    IP_ADDRESS,
    URL,
    PhiSpan,
    Protected,
    Recognizer,
    spans_from_matches,
)

_LANGUAGES = frozenset({"en", "zh"})

# RFC 5322 "dot-atom" local part and a domain with a 2-24 letter top-level label; the ASCII
# boundaries keep it from swallowing adjacent Chinese characters.
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
# A scheme or "www." followed by a host; or a bare host with a common top-level domain.
_URL = re.compile(
    r"(?<![\w@.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+"
    r"|(?<![\w@.-])(?:[A-Za-z0-9-]+\.)+(?:com|org|net|edu|gov|cn|uk|io|info)"
    r"(?:/[^\s<>\"'\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]*)?(?![\w@-])",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"://|www\.|\.(?:com|org|net|edu|gov|cn|uk|io|info)\b", re.IGNORECASE)
_IPV4_HINT = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_URL_TRAILING = ".,;:!?)]}"
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]|\.\d)")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")


class EmailRecognizer:
    """E-mail addresses."""

    name = "email"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        if "@" not in text:
            return []
        return spans_from_matches(_EMAIL.finditer(text), EMAIL, 0.95, self.name)

    def protect(self, text: str) -> list[Protected]:
        return []


class UrlRecognizer:
    """Web addresses (with a scheme, "www.", or a bare host under a common domain)."""

    name = "url"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        if not _URL_HINT.search(text):
            return []
        out = []
        for m in _URL.finditer(text):
            start, end = m.span()
            while end > start and text[end - 1] in _URL_TRAILING:
                end -= 1
            if "@" in text[max(0, start - 1) : start]:
                continue  # the host part of an e-mail address
            out.append(PhiSpan(start, end, URL, 0.9, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class IpAddressRecognizer:
    """IPv4 (each part 0-255) and IPv6 addresses, validated with `ipaddress`."""

    name = "ip_address"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        out = []
        if _IPV4_HINT.search(text):
            for m in _IPV4.finditer(text):
                if _valid_ip(m.group()):
                    out.append(PhiSpan(m.start(), m.end(), IP_ADDRESS, 0.9, self.name))
        if "::" in text or text.count(":") >= 3:
            for m in _IPV6.finditer(text):
                if m.group().count(":") >= 2 and _valid_ip(m.group()) and _has_hex(m.group()):
                    out.append(PhiSpan(m.start(), m.end(), IP_ADDRESS, 0.9, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


def _valid_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _has_hex(candidate: str) -> bool:
    # "12:30:45" is a time, not an address; a real IPv6 address has "::" or 8 groups.
    return "::" in candidate or candidate.count(":") == 7


RECOGNIZERS: list[Recognizer] = [EmailRecognizer(), UrlRecognizer(), IpAddressRecognizer()]
