"""Reading text files whose encoding is UTF-8 (with or without BOM) or GB18030."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from medsage.errors import DataFormatError, InvalidInputError, MissingFileError

PathLike = str | os.PathLike[str]

#: Encodings tried, in order, when the caller names none. GB18030 is a superset of GBK/GB2312.
FALLBACK_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")

_BOM = "\ufeff"


def require_file(path: PathLike) -> Path:
    """`path` as a Path, after checking that it names an existing regular file."""
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"data file {str(p)!r} does not exist; check the path")
    if not p.is_file():
        raise InvalidInputError(f"{str(p)!r} is not a file (a folder?); pass the data file itself")
    return p


def decode_bytes(data: bytes, *, encoding: str | None = None, source: str = "<bytes>") -> str:
    """Decode `data` with `encoding`, or detect UTF-8 (BOM handled) then GB18030 when it is None.

    A leading byte-order mark is dropped whatever the encoding, since it is never content.
    """
    text, _ = _decode(data, encoding=encoding, source=source)
    return text


def _decode(data: bytes, *, encoding: str | None, source: str) -> tuple[str, str]:
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInputError(
                f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or gb18030"
            ) from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise DataFormatError(
                f"could not decode {source} as {encoding}: byte {exc.start} is invalid "
                f"({exc.reason}); pass the right --encoding"
            ) from None
        return text.removeprefix(_BOM), encoding
    for candidate in FALLBACK_ENCODINGS:
        try:
            return data.decode(candidate).removeprefix(_BOM), candidate
        except UnicodeDecodeError:
            continue
    raise DataFormatError(f"could not decode {source} as UTF-8 or GB18030; pass --encoding")


def detect_encoding(path: PathLike) -> str:
    """Name of the first of UTF-8 (``utf-8-sig``) and GB18030 that decodes the whole file."""
    p = require_file(path)
    _, used = _decode(p.read_bytes(), encoding=None, source=repr(str(p)))
    return used


def read_text_file(path: PathLike, encoding: str | None = None) -> str:
    """The whole file as text: `encoding` when given, else UTF-8 (BOM handled), else GB18030.

    Raises MissingFileError when the file is absent and DataFormatError when it cannot be
    decoded ("could not decode X as UTF-8 or GB18030; pass --encoding").
    """
    p = require_file(path)
    return decode_bytes(p.read_bytes(), encoding=encoding, source=repr(str(p)))
