"""Validation of many rows at once, column by column (for `compute_many`).

The fast path turns each input into one numpy column and finds bad rows with masks. A bad
row is then passed to the scalar `resolve_inputs`, so the error message is exactly the one
`compute` would give, prefixed with the row number.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from medsage.errors import InvalidInputError
from medsage.health.risk._base import (
    UNIT_AGREEMENT_TOLERANCE,
    InputSpec,
    InputValue,
    Score,
    coerce,
    resolve_inputs,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from medsage.health.risk._base import Column

    BoolArray = npt.NDArray[np.bool_]

_NUMBER_TYPES = frozenset({int, float, type(None)})


def resolve_columns(
    score: Score, rows: Sequence[Mapping[str, object]]
) -> tuple[dict[str, Column], list[dict[str, InputValue | None]]]:
    """Validate all rows; return one column per input (primary units) and the rows' inputs.

    Raises InvalidInputError for the first bad row: 'row I: <the message compute gives>'.
    """
    import numpy as np

    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InvalidInputError(
                f"{score.spec.name}: row {i} is a {type(row).__name__}, expected a dict of inputs"
            )
    n = len(rows)
    accepted = set(score.spec.accepted_names())
    keys: set[str] = set().union(*rows) if rows else set()
    if not keys <= accepted:
        _fail(score, rows, next(i for i, row in enumerate(rows) if not set(row) <= accepted))
    columns: dict[str, Column] = {}
    as_python: dict[str, list[InputValue | None]] = {}
    bad = np.zeros(n, dtype=bool)
    for inp in score.spec.inputs:
        column, column_bad, values = _column(score.spec.name, inp, rows)
        columns[inp.name] = column
        as_python[inp.name] = values
        bad |= column_bad
    if score.check_many is not None:
        with np.errstate(invalid="ignore"):
            bad |= score.check_many(columns)
    if bad.any():
        _fail(score, rows, int(np.argmax(bad)))
    names = list(as_python)
    row_inputs = [
        dict(zip(names, values, strict=True)) for values in zip(*as_python.values(), strict=True)
    ]
    return columns, row_inputs


def _fail(score: Score, rows: Sequence[Mapping[str, object]], i: int) -> None:
    try:
        resolve_inputs(score, rows[i])
    except InvalidInputError as exc:
        raise InvalidInputError(f"row {i}: {exc}") from None
    raise InvalidInputError(f"{score.spec.name}: row {i} failed validation")  # not reached


def _column(
    score: str, inp: InputSpec, rows: Sequence[Mapping[str, object]]
) -> tuple[Column, BoolArray, list[InputValue | None]]:
    if inp.kind in ("number", "integer"):
        return _number_column(score, inp, rows)
    values = [row.get(inp.name) for row in rows]
    if inp.kind == "boolean":
        return _boolean_column(score, inp, values)
    return _choice_column(score, inp, values)


def _number_column(
    score: str, inp: InputSpec, rows: Sequence[Mapping[str, object]]
) -> tuple[Column, BoolArray, list[InputValue | None]]:
    import numpy as np

    n = len(rows)
    value = np.full(n, np.nan)
    present = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    for name in inp.names():
        raw = [row.get(name) for row in rows]
        given = np.fromiter((v is not None for v in raw), dtype=bool, count=n)
        if not given.any():
            continue
        numbers, wrong = _numbers(score, inp, name, raw)
        bad |= given & (wrong | ~np.isfinite(numbers))
        if name != inp.name:
            alt = next(a for a in inp.alternatives if a.name == name)
            numbers = numbers * alt.to_primary
        both = present & given
        if both.any():
            a, b = value[both], numbers[both]
            with np.errstate(invalid="ignore"):
                disagree = np.abs(a - b) > UNIT_AGREEMENT_TOLERANCE * np.maximum(
                    np.abs(a), np.abs(b)
                )
            bad[np.flatnonzero(both)[disagree]] = True
        first = given & ~present
        value[first] = numbers[first]
        present |= given
    if inp.default is not None:
        value[~present] = float(inp.default)
    elif inp.required:
        bad |= ~present
    with np.errstate(invalid="ignore"):
        if inp.minimum is not None:
            bad |= present & (value < inp.minimum)
        if inp.maximum is not None:
            bad |= present & (value > inp.maximum)
        if inp.kind == "integer":
            bad |= present & (value != np.floor(value))
    python: list[InputValue | None]
    if inp.kind == "integer":
        python = [None if v != v else int(v) for v in value.tolist()]
    else:
        python = [None if v != v else v for v in value.tolist()]
    return value, bad, python


def _numbers(score: str, inp: InputSpec, name: str, raw: list[object]) -> tuple[Column, BoolArray]:
    """Floats (NaN where absent) and a mask of values that are not numbers."""
    import numpy as np

    n = len(raw)
    if set(map(type, raw)) <= _NUMBER_TYPES:
        try:
            return np.array(raw, dtype=np.float64), np.zeros(n, dtype=bool)
        except OverflowError:  # an int too large for a float: the loop below reports it
            pass
    numbers = np.full(n, np.nan)
    wrong = np.zeros(n, dtype=bool)
    for i, v in enumerate(raw):
        if v is None:
            continue
        try:
            numbers[i] = float(coerce(score, inp, name, v))
        except InvalidInputError:
            wrong[i] = True
    return numbers, wrong


def _mapped(
    score: str, inp: InputSpec, values: list[object]
) -> tuple[list[InputValue | None], BoolArray]:
    """Coerce each distinct (type, value) once; mark values that fail or are missing."""
    import numpy as np

    try:
        keys = list(zip(map(type, values), values, strict=True))
        distinct = set(keys)
    except TypeError:  # an unhashable value (a list): the scalar check names it
        return [None] * len(values), np.fromiter(
            (not isinstance(v, Hashable) for v in values), dtype=bool, count=len(values)
        )
    mapping: dict[tuple[type, object], InputValue | None] = {}
    failed: set[tuple[type, object]] = set()
    for key in distinct:
        value = key[1]
        if value is None:
            mapping[key] = inp.default
            if inp.default is None and inp.required:
                failed.add(key)
            continue
        try:
            mapping[key] = coerce(score, inp, inp.name, value)
        except InvalidInputError:
            mapping[key] = None
            failed.add(key)
    out = [mapping[key] for key in keys]
    if failed:
        wrong = np.fromiter((key in failed for key in keys), dtype=bool, count=len(keys))
    else:
        wrong = np.zeros(len(keys), dtype=bool)
    return out, wrong


def _boolean_column(
    score: str, inp: InputSpec, values: list[object]
) -> tuple[Column, BoolArray, list[InputValue | None]]:
    import numpy as np

    if inp.required or inp.default is not None:
        if all(type(v) is bool for v in values):
            column = np.array(values, dtype=bool)
            return column, np.zeros(len(values), dtype=bool), list(values)  # type: ignore[arg-type]
        mapped, wrong = _mapped(score, inp, values)
        column = np.array([bool(v) for v in mapped], dtype=bool)
        return column, wrong, mapped
    mapped, wrong = _mapped(score, inp, values)  # optional: 1.0 / 0.0, NaN where absent
    floats = np.array([np.nan if v is None else float(bool(v)) for v in mapped])
    return floats, wrong, mapped


def _choice_column(
    score: str, inp: InputSpec, values: list[object]
) -> tuple[Column, BoolArray, list[InputValue | None]]:
    import numpy as np

    mapped, wrong = _mapped(score, inp, values)
    column = np.array(["" if v is None else str(v) for v in mapped])
    return column, wrong, mapped
