"""What every score shares: input specifications, validation, unit alternatives, `RiskResult`.

A score is a `Score`: its `ScoreSpec` (name, inputs with units and allowed ranges, citation),
a scalar formula `raw`, the same formula over numpy columns `raw_many`, and `finish`, which
turns the raw value and the validated inputs into a `RiskResult` (rounding, category, details).
Both `compute` and `compute_many` end in the same `finish`, so they can only differ in the
floating-point arithmetic of the formula itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from medsage.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Column = npt.NDArray[Any]
    FloatArray = npt.NDArray[np.float64]

InputKind = Literal["number", "integer", "boolean", "choice"]
InputValue = float | int | bool | str
Inputs = Mapping[str, InputValue | None]

_TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0"})

# Two values of one quantity given in both units agree when they differ by at most this share:
# enough for the precision labs report (mg/dL as integers, mmol/L with two decimals), far too
# little to hide a wrong unit (the factors are 38.67 and 88.4).
UNIT_AGREEMENT_TOLERANCE = 0.02


@dataclass(frozen=True)
class UnitAlternative:
    """The same input in another unit: `value_in_primary = value * to_primary`."""

    name: str
    unit: str
    to_primary: float
    source: str  # where the conversion factor comes from

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "to_primary": self.to_primary,
                "source": self.source}  # fmt: skip


@dataclass(frozen=True)
class InputSpec:
    """One input of a score: kind, unit, allowed range or choices, default, unit alternatives.

    `required=False` with no default marks an input that may be absent (None); the score's
    own cross-check then says which combination is needed (qSOFA: mentation or GCS).
    """

    name: str
    kind: InputKind
    description: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: InputValue | None = None
    required: bool = True
    alternatives: tuple[UnitAlternative, ...] = ()
    hint: str = ""  # how to fix the usual mistake (a wrong unit)

    def allowed(self) -> str:
        """The allowed values in words, e.g. '40 to 79 years' or 'one of: female, male'."""
        if self.kind == "boolean":
            return "true or false (yes/no, 1/0)"
        if self.kind == "choice":
            return "one of: " + ", ".join(self.choices)
        return _range_text(self.minimum, self.maximum, self.unit)

    def names(self) -> tuple[str, ...]:
        """This input's own name and the names of its unit alternatives."""
        return (self.name, *(alt.name for alt in self.alternatives))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "type": self.kind, "description": self.description,
            "unit": self.unit or None, "minimum": self.minimum, "maximum": self.maximum,
            "choices": list(self.choices) or None, "required": self.required and
            self.default is None, "default": self.default, "allowed": self.allowed(),
        }  # fmt: skip
        out["alternatives"] = [
            {**alt.to_dict(), "allowed": self._alt_allowed(alt)} for alt in self.alternatives
        ]
        return out

    def _alt_allowed(self, alt: UnitAlternative) -> str:
        low = None if self.minimum is None else self.minimum / alt.to_primary
        high = None if self.maximum is None else self.maximum / alt.to_primary
        return _range_text(low, high, alt.unit)


@dataclass(frozen=True)
class ScoreSpec:
    """What `list_scores()` tells: name, title, inputs, categories, unit and reference."""

    name: str
    title: str
    title_zh: str
    unit: str
    inputs: tuple[InputSpec, ...]
    categories: tuple[str, ...]
    reference: str

    def accepted_names(self) -> tuple[str, ...]:
        return tuple(name for spec in self.inputs for name in spec.names())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "title_zh": self.title_zh,
            "unit": self.unit, "inputs": [spec.to_dict() for spec in self.inputs],
            "categories": list(self.categories), "reference": self.reference,
        }  # fmt: skip


@dataclass(frozen=True)
class RiskResult:
    """One computed score: value (rounded as the source reports it), unit, category, details
    (per-item points, unrounded value, Chinese label `category_zh`, inputs used) and the
    reference the numbers come from."""

    value: float | int
    unit: str
    category: str
    details: dict[str, Any]
    reference: str
    score: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: score, value, unit, category, details, reference."""
        return {"score": self.score, "value": self.value, "unit": self.unit,
                "category": self.category, "details": self.details,
                "reference": self.reference}  # fmt: skip


@dataclass(frozen=True)
class Score:
    """A registered score: spec, scalar formula, vectorised formula, finishing step.

    `check`/`check_many` are optional cross-input checks (systolic above diastolic); `check`
    returns a message, `check_many` a mask of rows that fail.
    """

    spec: ScoreSpec
    raw: Callable[[Inputs], float]
    raw_many: Callable[[Mapping[str, Column]], FloatArray]
    finish: Callable[[float, Inputs], RiskResult]
    check: Callable[[Inputs], str | None] | None = None
    check_many: Callable[[Mapping[str, Column]], Column] | None = None


# --- helpers the score modules use ---------------------------------------------------------


def round_half_up(value: float, digits: int) -> float:
    """Round as a clinician reads the number (22.85 -> 22.9), not to the nearest even."""
    scaled = value * 10.0**digits
    if abs(scaled - math.floor(scaled) - 0.5) > 1e-6:  # not near a tie: plain rounding agrees
        return round(value, digits)
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def band(value: float, bands: tuple[tuple[float, str], ...]) -> str:
    """The label of the first band whose upper bound (exclusive) is above `value`."""
    for upper, label in bands:
        if value < upper:
            return label
    return bands[-1][1]


def _range_text(low: float | None, high: float | None, unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{_fmt(low)} to {_fmt(high)}{suffix}"
    if low is not None:
        return f"at least {_fmt(low)}{suffix}"
    if high is not None:
        return f"at most {_fmt(high)}{suffix}"
    return f"any number{suffix}"


def _fmt(number: float) -> str:
    return f"{number:.4g}" if number != int(number) else str(int(number))


# --- validation of one set of inputs -------------------------------------------------------


def coerce(score: str, spec: InputSpec, name: str, value: object) -> InputValue:
    """Check the type of one given value (strings from a command line are parsed)."""
    if spec.kind == "boolean":
        return coerce_bool(score, name, value)
    if spec.kind == "choice":
        if isinstance(value, str) and value.strip().lower() in spec.choices:
            return value.strip().lower()
        raise InvalidInputError(
            f"{score}: {name} = {value!r} is not allowed; expected {spec.allowed()}"
        )
    number = _coerce_number(score, name, value)
    if spec.kind == "integer":
        if number != int(number):
            raise InvalidInputError(f"{score}: {name} = {value!r} must be a whole number")
        return int(number)
    return number


def coerce_bool(score: str, name: str, value: object) -> bool:
    """True/False from a bool, 0/1 or the words true/false/yes/no/y/n/1/0 (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise InvalidInputError(
        f"{score}: {name} = {value!r} is not a yes/no value; expected true or false (yes/no, 1/0)"
    )


def _coerce_number(score: str, name: str, value: object) -> float:
    number: float
    if isinstance(value, bool):
        raise InvalidInputError(f"{score}: {name} = {value!r} must be a number, not true/false")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidInputError(
                f"{score}: {name} = {value!r} is not a number; give the number alone, "
                "in the unit its name says"
            ) from None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]  # numpy scalars and Decimals
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{score}: {name} = {value!r} ({type(value).__name__}) is not a number"
            ) from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{score}: {name} = {value!r} is not a finite number")
    return number


def resolve_inputs(score: Score, given: Mapping[str, object]) -> dict[str, InputValue | None]:
    """Validate `given` against the score's inputs and return them in primary units.

    Raises InvalidInputError naming the input and its allowed range for a missing, unknown,
    malformed or out-of-range input, and for two unit alternatives that disagree.
    """
    spec = score.spec
    accepted = spec.accepted_names()
    unknown = sorted(key for key in given if key not in accepted)
    if unknown:
        raise InvalidInputError(
            f"{spec.name}: unknown input(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}"
        )
    resolved: dict[str, InputValue | None] = {}
    for inp in spec.inputs:
        resolved[inp.name] = _resolve_one(spec.name, inp, given)
    if score.check is not None:
        problem = score.check(resolved)
        if problem:
            raise InvalidInputError(f"{spec.name}: {problem}")
    return resolved


def _resolve_one(score: str, inp: InputSpec, given: Mapping[str, object]) -> InputValue | None:
    present = [name for name in inp.names() if given.get(name) is not None]
    if not present:
        if inp.default is not None:
            return inp.default
        if not inp.required:
            return None
        raise InvalidInputError(missing_message(score, inp))
    values: list[tuple[str, float | InputValue]] = []
    for name in present:
        value = coerce(score, inp, name, given[name])
        if name != inp.name:
            alt = next(a for a in inp.alternatives if a.name == name)
            value = float(value) * alt.to_primary
        values.append((name, value))
    if len(values) > 1:
        _check_agreement(score, inp, values, given)
    name, value = values[0]
    if inp.kind in ("number", "integer"):
        _check_range(score, inp, name, float(value), given[name])
    return value


def missing_message(score: str, inp: InputSpec) -> str:
    """'score: missing input NAME (what it is; allowed ...)' with the alternatives' names."""
    message = f"{score}: missing input {inp.name} ({inp.description}; allowed {inp.allowed()})"
    if inp.alternatives:
        message += "; give it as " + " or ".join(inp.names())
    return message


def _check_agreement(
    score: str, inp: InputSpec, values: list[tuple[str, float | InputValue]],
    given: Mapping[str, object],
) -> None:  # fmt: skip
    (first_name, first), *rest = values
    for name, value in rest:
        a, b = float(first), float(value)
        if abs(a - b) > UNIT_AGREEMENT_TOLERANCE * max(abs(a), abs(b)):
            raise InvalidInputError(
                f"{score}: {first_name} = {given[first_name]!r} and {name} = {given[name]!r} "
                f"(= {round(b, 2):g} {inp.unit}) disagree by more than "
                f"{UNIT_AGREEMENT_TOLERANCE:.0%}; give only one of them"
            )


def _check_range(score: str, inp: InputSpec, name: str, value: float, raw: object) -> None:
    low, high = inp.minimum, inp.maximum
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if name == inp.name:
        allowed = inp.allowed()
        shown = repr(raw)
    else:
        alt = next(a for a in inp.alternatives if a.name == name)
        allowed = f"{inp._alt_allowed(alt)} ({inp.allowed()})"
        shown = f"{raw!r} (= {round(value, 2):g} {inp.unit})"
    hint = f"; {inp.hint}" if inp.hint else ""
    raise InvalidInputError(
        f"{score}: {name} = {shown} is outside the allowed range {allowed}{hint}"
    )


def missing_required(score: Score, given: Mapping[str, object]) -> list[str]:
    """Names of the required inputs (no default) that `given` lacks in every unit."""
    return [
        inp.name
        for inp in score.spec.inputs
        if inp.required
        and inp.default is None
        and all(given.get(name) is None for name in inp.names())
    ]


# --- typed access to validated inputs (inside a score, after `resolve_inputs`) --------------


def num(x: Inputs, name: str) -> float:
    """A validated number input."""
    value = x[name]
    if value is None or isinstance(value, str):
        raise InvalidInputError(f"input {name} is {value!r}, expected a number")
    return float(value)


def flag(x: Inputs, name: str) -> bool:
    """A validated yes/no input."""
    return bool(x[name])


def text(x: Inputs, name: str) -> str:
    """A validated choice input."""
    return str(x[name])
