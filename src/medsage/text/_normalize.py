"""Unicode and width normalisation that keeps CJK text, numbers and units.

The recipe we replace deleted every non-ASCII character and every digit; that destroys Chinese
text and clinical values ("BP 160/100 mmHg" is evidence). Here we only fold *representation*:
NFKC (full-width letters, digits and punctuation become their ASCII forms; "℃" becomes "°C"),
one spelling for each family of quotes, dashes and tildes, no invisible characters, and
collapsed whitespace. Nothing with meaning is removed.
"""

from __future__ import annotations

import re
import unicodedata

from medsage.errors import InvalidInputError

LANGS = ("auto", "zh", "en", "mixed")

# One spelling per punctuation family (applied after NFKC). Dashes: hyphen, non-breaking
# hyphen, figure dash, en/em dash, horizontal bar and the minus sign all mean "-" in notes.
_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u301c": "~",  # wave dash, used for ranges in Chinese text
        "\u3030": "~",
        "\u2044": "/",  # fraction slash: NFKC spells "½" as "1\u20442"; keep it "1/2"
        "\u00d7": "x",  # multiplication sign in "3×/day"
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2266": "<=",
        "\u2267": ">=",
        "\u00b1": "+/-",
        "\u03bc": "\u00b5",  # NFKC turns the micro sign into Greek mu; keep the unit prefix
    }
)
# Zero-width and formatting characters (including direction marks that copy-paste from web
# records leaves behind) carry no text; remove them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def normalize(text: str, lang: str = "auto", *, keep_newlines: bool = False) -> str:
    """Return `text` in one canonical form, keeping CJK, numbers, signs and units.

    Args:
        text: any clinical text, Chinese, English or mixed.
        lang: "auto", "zh", "en" or "mixed". For "zh" and "mixed" (and "auto" when the text
            holds CJK characters) a space between two CJK characters is removed: Chinese does
            not separate words with spaces, so such a space is an artefact of extraction.
        keep_newlines: keep line breaks (collapsed to one) instead of turning them into spaces.

    Returns:
        The normalised text (stripped). Case is kept: "HbA1c", "mmHg" and "T2DM" mean
        something.

    Example:
        >>> normalize("血压：１６０／１００ｍｍＨｇ，ＨｂＡ１ｃ ７.２％")
        '血压:160/100mmHg,HbA1c 7.2%'
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"normalize expects a str, got {type(text).__name__}")
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    out = unicodedata.normalize("NFKC", text)
    out = out.translate(_PUNCT_MAP)
    out = _INVISIBLE.sub("", out)
    out = _CONTROL.sub(" ", out)
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    out = _HSPACE.sub(" ", out)
    out = _NEWLINES.sub("\n", out) if keep_newlines else re.sub(r"\s+", " ", out)
    if lang in ("zh", "mixed") or (lang == "auto" and re.search(f"[{_CJK}]", out)):
        out = _SPACE_BETWEEN_CJK.sub("", out)
    return out.strip()


def is_cjk(char: str) -> bool:
    """True for a CJK unified ideograph (basic, extension A or compatibility block)."""
    code = ord(char)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
