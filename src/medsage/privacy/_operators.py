"""Operators: how a PHI span is rewritten (tag, mask, redact, surrogate, hash, encrypt).

`encrypt` writes ``[TYPE:ENC:<base64url(nonce + AES-GCM ciphertext)>]`` with the PHI type as
associated data, so `decrypt_text` with the same key restores the original exactly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable

from medsage.errors import InvalidInputError
from medsage.privacy._spans import PhiSpan
from medsage.privacy._surrogates import surrogate

OPERATORS = ("tag", "mask", "redact", "surrogate", "hash", "encrypt")
KEY_SIZES = (16, 24, 32)  # AES-128/192/256
_NONCE = 12
_ENCRYPTED = re.compile(r"\[([A-Z_]+):ENC:([A-Za-z0-9_-]+={0,2})\]")
MASK_CHAR = "*"


class OperatorContext:
    """What the operators need besides the span: the secret, the key and the patient."""

    def __init__(self, secret: bytes, key: bytes | None, patient: str) -> None:
        self.secret = secret
        self.key = key
        self.patient = patient


Operator = Callable[[PhiSpan, str, OperatorContext], str]


def _tag(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    return f"[{span.type}]"


def _mask(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    return "".join(ch if ch.isspace() else MASK_CHAR for ch in original)


def _redact(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    return ""


def _surrogate(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    return surrogate(span.type, original, ctx.secret, ctx.patient)


def _hash(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    """Salted (keyed) SHA-256 of the normalised original: same value, same hash."""
    value = re.sub(r"\s+", " ", original.strip().casefold()).encode("utf-8")
    digest = hmac.new(ctx.secret, span.type.encode() + b"\x1f" + value, hashlib.sha256)
    return f"[{span.type}:{digest.hexdigest()[:16]}]"


def _encrypt(span: PhiSpan, original: str, ctx: OperatorContext) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if ctx.key is None:
        raise InvalidInputError("the encrypt operator needs a key (see generate_key)")
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(ctx.key).encrypt(nonce, original.encode("utf-8"), span.type.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"[{span.type}:ENC:{token}]"


OPERATOR_FUNCTIONS: dict[str, Operator] = {
    "tag": _tag,
    "mask": _mask,
    "redact": _redact,
    "surrogate": _surrogate,
    "hash": _hash,
    "encrypt": _encrypt,
}


def generate_key() -> bytes:
    """A new random 256-bit key for the encrypt operator."""
    return os.urandom(32)


def check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) not in KEY_SIZES:
        raise InvalidInputError(
            f"an encryption key must be 16, 24 or 32 bytes, got "
            f"{len(key) if isinstance(key, bytes) else type(key).__name__}"
        )
    return key


def decrypt_text(text: str, key: bytes) -> str:
    """Undo the encrypt operator: every ``[TYPE:ENC:...]`` token back to its original text."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(check_key(key))

    def restore(m: re.Match[str]) -> str:
        raw = base64.urlsafe_b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4))
        try:
            plain = aes.decrypt(raw[:_NONCE], raw[_NONCE:], m.group(1).encode())
        except (InvalidTag, ValueError):
            raise InvalidInputError(
                f"cannot decrypt a {m.group(1)} token at offset {m.start()}: wrong key or "
                "altered text"
            ) from None
        return plain.decode("utf-8")

    return _ENCRYPTED.sub(restore, text)
