"""Find clinical measurements (vital signs, labs, body size) in Chinese and English text.

`find_measurements` runs one regular expression per rule over a *folded* copy of the text: every
character whose NFKC form is a single character is replaced by it (full-width digits, letters,
"／", "：", "．", "％" become ASCII; "µ" becomes "μ"), others are kept, so the copy has the same
length and spans map back to the original unchanged.

A rule is a context cue ("BP", "血压", "HbA1c"...) bound to the value right after it (optional
colon, "=", "为", "is"/"of" and a few spaces between), or, for a few unambiguous units
("160/100 mmHg", "39.2℃", "70 kg", "88次/分"), the unit alone. Weak one- or two-letter cues
("P", "R", "T", "HR", "RR") only count when no unit is written if the value is physiologically
possible (and an integer for rates), so "P < 0.05", "HR 0.85" (hazard ratio) and "T2DM" are
ignored. Overlapping candidates are resolved leftmost first, then longest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Final

from medsage.errors import InvalidInputError
from medsage.text import _units as u

__all__ = ["KINDS", "Measurement", "find_measurements"]

KINDS: Final = u.KINDS


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement found in a text; `text == source[start:end]` (cue, value and unit)."""

    kind: str
    text: str
    start: int
    end: int
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    diastolic: float | None = None
    plausible: bool = True

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field."""
        return asdict(self)


# --- Folding


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def _fold(text: str) -> str:
    """Same-length copy of `text` with single-character NFKC forms substituted."""
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


# --- Pattern pieces (applied to the folded text; ASCII-only case folding, `\s` and `\d`)

_NUM: Final = r"[0-9]+(?:\.[0-9]+)?"
_SEP: Final = r"\s{0,3}(?:(?:[:=]|为|是)\s{0,3}|(?:is|was|of)\s{1,3})?"
_EN_LEFT: Final = r"(?<![A-Za-z0-9\-])"
_EN_RIGHT: Final = r"(?![A-Za-z])"
# After a value with no unit: not more digits, not a letter/percent/slash glued to it.
_NUM_END: Final = r"(?![0-9]|\.[0-9]|[A-Za-z%/])"
_UNIT_END: Final = r"(?![A-Za-z/])"
_BARE_LEFT: Final = r"(?<![A-Za-z0-9./])"

_U_MMHG: Final = r"mm\s?Hg|毫米汞柱"
_U_TEMP: Final = r"℃|℉|°\s?[CF]|[CF]|度"
_U_TEMP_BARE: Final = r"℃|℉|°\s?[CF]"
_U_RATE: Final = (
    r"bpm|(?:beats?|breaths?)\s?(?:/|per\s)\s?min(?:ute)?s?|次\s?/\s?分(?:钟)?|/\s?min(?:ute)?"
)
_U_HR_BARE: Final = r"bpm|beats?\s?(?:/|per\s)\s?min(?:ute)?|次\s?/\s?分(?:钟)?"
_U_RR_BARE: Final = r"breaths?\s?(?:/|per\s)\s?min(?:ute)?"
_U_MMOL: Final = r"mmol\s?/\s?L|毫摩尔\s?/\s?升"
_U_MGDL: Final = r"mg\s?/\s?dL|mg%"
_U_UMOL: Final = r"[µμu]mol\s?/\s?L|微摩尔\s?/\s?升"
_U_WEIGHT: Final = r"kgs?|公斤|千克|lbs?|pounds?|磅"
_U_HEIGHT: Final = r"cm|厘米|m|米|inch(?:es)?|in\.?(?!\s+[a-z])"

_BP_CUE_ZH: Final = "血压"
_SBP_ZH: Final = "收缩压"
_DBP_ZH: Final = "舒张压"


def _cue(en: str = "", zh: str = "", cs: str = "") -> str:
    """A cue alternation: English (case-insensitive, word-bounded), case-sensitive, Chinese."""
    parts: list[str] = []
    if en:
        parts.append(f"{_EN_LEFT}(?:{en}){_EN_RIGHT}")
    if cs:
        parts.append(f"{_EN_LEFT}(?-i:{cs}){_EN_RIGHT}")
    if zh:
        parts.append(f"(?:{zh})")
    return "(?:" + "|".join(parts) + ")"


def _single(cue: str, units: str) -> str:
    value = f"(?P<v>{_NUM})"
    unit = rf"(?:\s{{0,2}}(?P<u>{units}){_UNIT_END}|{_NUM_END})"
    return f"{cue}{_SEP}{value}{unit}"


def _bare(units: str) -> str:
    return rf"{_BARE_LEFT}(?P<v>{_NUM})\s{{0,2}}(?P<u>{units}){_UNIT_END}"


_BP_PAIR: Final = r"(?P<v>[0-9]{2,3})\s{0,2}/\s{0,2}(?P<d>[0-9]{2,3})"
_BP_VALUE: Final = rf"{_BP_PAIR}(?:\s{{0,2}}(?P<u>{_U_MMHG}){_UNIT_END}|{_NUM_END})"


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    regex: re.Pattern[str]
    weak: bool = False  # unitless values must be plausible (temperature: inferable)
    integer: bool = False  # unitless values must also be whole numbers
    bare_range: tuple[float, float] | None = None  # unit-only rule: canonical value must lie here


def _rule(
    kind: str,
    pattern: str,
    *,
    weak: bool = False,
    integer: bool = False,
    bare_range: tuple[float, float] | None = None,
) -> _Rule:
    return _Rule(kind, re.compile(pattern, re.IGNORECASE | re.ASCII), weak, integer, bare_range)


_HR_CUE: Final = _cue(en=r"heart\s?rate|pulse(?:\s?rate)?", zh="心率|脉搏|脉率")
_TEMP_CUE: Final = _cue(en=r"temperature|temp\.?|t\s?max|body\s?temp", zh="体温|腋温|口温|肛温")
_SPO2_CUE: Final = _cue(
    en=r"SpO2|SaO2|O2\s?sat(?:uration)?s?|oxygen\s?saturation|pulse\s?ox(?:imetry)?",
    zh="血氧饱和度|指脉氧饱和度|指脉氧|血氧",
)
_RR_CUE: Final = _cue(
    en=r"respiratory\s?rate|resp(?:iratory)?\.?|breathing\s?rate", zh="呼吸频率|呼吸"
)
_GLU_CUE: Final = _cue(
    en=r"(?:fasting\s|random\s|blood\s|plasma\s)?glucose|blood\s?sugar|FBG|FPG|FBS|RBG|BG|GLU",
    zh="空腹血糖|餐后2小时血糖|餐后血糖|随机血糖|血糖",
)
_A1C_CUE: Final = _cue(
    en=r"Hb\s?A1c|A1c|glyc(?:at|osyl)ated\s?ha?emoglobin", zh="糖化血红蛋白|糖化血红素"
)
_WT_CUE: Final = _cue(en=r"(?:body\s)?weight|wt\.?", zh="体重")
_HT_CUE: Final = _cue(en=r"height|ht\.?", zh="身高")
_CR_CUE: Final = _cue(
    en=r"(?:serum\s)?creatinine", cs="SCr|sCr|Scr|Cr|Cre|CREA|Crea", zh="血清肌酐|血肌酐|肌酐"
)
_TC_CUE: Final = _cue(
    en=r"(?:total\s|serum\s)?cholesterol|chol",
    cs="TC|TCHO|TCH|T-CHO",
    zh="血清总胆固醇|总胆固醇|胆固醇",
)
_LDL_CUE: Final = _cue(en=r"LDL(?:-?C|\s?cholesterol)?", zh="低密度脂蛋白胆固醇|低密度脂蛋白")
_HDL_CUE: Final = _cue(en=r"HDL(?:-?C|\s?cholesterol)?", zh="高密度脂蛋白胆固醇|高密度脂蛋白")
_LIPID_UNITS: Final = f"{_U_MMOL}|{_U_MGDL}"

_RULES: Final[tuple[_Rule, ...]] = (
    _rule(
        "blood_pressure",
        _cue(en=r"BP|B/P|NIBP|blood\s?pressure", zh=_BP_CUE_ZH) + _SEP + _BP_VALUE,
    ),
    _rule("blood_pressure", rf"{_BARE_LEFT}{_BP_PAIR}\s{{0,2}}(?P<u>{_U_MMHG}){_UNIT_END}"),
    _rule(
        "systolic_bp",
        _single(_cue(en=r"SBP|systolic(?:\s(?:blood\s)?pressure|\sBP)?", zh=_SBP_ZH), _U_MMHG),
    ),
    _rule(
        "diastolic_bp",
        _single(_cue(en=r"DBP|diastolic(?:\s(?:blood\s)?pressure|\sBP)?", zh=_DBP_ZH), _U_MMHG),
    ),
    _rule("heart_rate", _single(_HR_CUE, _U_RATE)),
    _rule("heart_rate", _single(_cue(cs="HR|P"), _U_RATE), weak=True, integer=True),
    _rule("heart_rate", _bare(_U_HR_BARE), bare_range=(20.0, 300.0)),
    _rule("temperature", _single(_TEMP_CUE, _U_TEMP)),
    _rule("temperature", _single(_cue(cs="T"), _U_TEMP), weak=True),
    _rule("temperature", _bare(_U_TEMP_BARE), bare_range=(30.0, 45.0)),
    _rule("spo2", _single(_SPO2_CUE, "%")),
    _rule("respiratory_rate", _single(_RR_CUE, _U_RATE)),
    _rule("respiratory_rate", _single(_cue(cs="RR|R"), _U_RATE), weak=True, integer=True),
    _rule("respiratory_rate", _bare(_U_RR_BARE), bare_range=(4.0, 80.0)),
    _rule("glucose", _single(_GLU_CUE, _LIPID_UNITS)),
    _rule("hba1c", _single(_A1C_CUE, r"%|mmol\s?/\s?mol")),
    _rule("weight", _single(_WT_CUE, _U_WEIGHT)),
    _rule("weight", _bare(_U_WEIGHT), bare_range=(1.0, 300.0)),
    _rule("height", _single(_HT_CUE, _U_HEIGHT)),
    _rule("height", _bare(r"cm|厘米"), bare_range=(45.0, 230.0)),
    _rule("creatinine", _single(_CR_CUE, f"{_U_UMOL}|{_U_MGDL}")),
    _rule("cholesterol", _single(_TC_CUE, _LIPID_UNITS)),
    _rule("ldl_cholesterol", _single(_LDL_CUE, _LIPID_UNITS)),
    _rule("hdl_cholesterol", _single(_HDL_CUE, _LIPID_UNITS)),
)


# --- Conversion


def _infer_unit(kind: str, value: float, weak: bool) -> str | None:
    """The canonical spelling of the unit a unitless value is in; None when it cannot be told."""
    if kind == "temperature":
        if 34.0 <= value <= 43.0:
            return "°C"
        if 93.0 <= value <= 110.0:
            return "°F"
        return None if weak else "°C"
    if kind == "glucose":  # mmol/L rarely exceeds 35; mg/dL is rarely below it
        return "mmol/L" if value <= 35.0 else "mg/dL"
    if kind == "creatinine":  # mg/dL values are < 25; µmol/L values are above
        return "mg/dL" if value < 25.0 else "µmol/L"
    if kind in ("cholesterol", "ldl_cholesterol", "hdl_cholesterol"):
        return "mmol/L" if value <= 20.0 else "mg/dL"
    if kind == "hba1c":  # 20 mmol/mol is 4.0 %
        return "%" if value <= 20.0 else "mmol/mol"
    if kind == "height":
        return "m" if value < 3.0 else "cm"
    return u.CANONICAL_UNIT[kind]


def _to_canonical(kind: str, value: float, unit: str) -> float | None:
    if kind == "temperature" and unit == "°F":
        return u.fahrenheit_to_celsius(value)
    if kind == "hba1c" and unit == "mmol/mol":
        return u.ifcc_to_ngsp(value)
    factor = u.FACTORS[kind].get(unit)
    return None if factor is None else value * factor


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _build(rule: _Rule, match: re.Match[str], source: str) -> Measurement | None:
    kind = rule.kind
    value = float(match["v"])
    raw_unit = match.groupdict().get("u") or ""
    unit = u.canonical_unit_spelling(raw_unit, kind)
    effective: str | None = unit
    if not unit:
        if rule.integer and not value.is_integer():
            return None
        effective = _infer_unit(kind, value, rule.weak)
    if effective is None:
        return None
    converted = _to_canonical(kind, value, effective)
    if converted is None:
        return None
    canonical = round(converted, 2)
    plausible = _within(canonical, u.PLAUSIBLE[kind])
    if (rule.weak and not unit and not plausible) or (
        rule.bare_range is not None and not _within(canonical, rule.bare_range)
    ):
        return None
    diastolic: float | None = None
    if match.groupdict().get("d") is not None:
        diastolic = float(match["d"])
        plausible = plausible and _within(diastolic, u.DIASTOLIC_RANGE) and diastolic < value
    start, end = match.span()
    return Measurement(
        kind=kind,
        text=source[start:end],
        start=start,
        end=end,
        value=value,
        unit=unit,
        canonical_value=canonical,
        canonical_unit=u.CANONICAL_UNIT[kind],
        diastolic=diastolic,
        plausible=plausible,
    )


def find_measurements(text: str) -> list[Measurement]:
    """Clinical measurements in `text`, in order of position, without overlaps.

    Each carries the value and unit as written, the value in the canonical unit of its kind
    (`Measurement.canonical_unit`) and `plausible=False` when that value is physiologically
    impossible (such values are still returned).

    Raises:
        InvalidInputError: `text` is not a str.
    """
    if not isinstance(text, str):
        raise InvalidInputError(
            f"find_measurements expects a str, got {type(text).__name__}; pass the text itself"
        )
    if not text:
        return []
    folded = _fold(text)
    candidates: list[tuple[int, int, int, Measurement]] = []
    for order, rule in enumerate(_RULES):
        for match in rule.regex.finditer(folded):
            found = _build(rule, match, text)
            if found is not None:
                candidates.append((found.start, -(found.end - found.start), order, found))
    candidates.sort(key=lambda item: item[:3])
    chosen: list[Measurement] = []
    last_end = 0
    for start, _neg_len, _order, found in candidates:
        if start >= last_end:
            chosen.append(found)
            last_end = found.end
    return chosen
