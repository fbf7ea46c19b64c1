"""The job kinds: what a worker loads once and what it computes for a list of records.

Each kind names its required input fields, its options (typed, with defaults), `load(options)`
(the worker state, loaded once per worker process or Ray actor) and `process(state, records)`
(one result dict, or an error message string, per record, in order). Kinds call library
functions only; no medical logic lives here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medsage.errors import InvalidInputError, UnknownNameError

Outcome = dict[str, Any] | str  # a result, or why the record failed
Loader = Callable[[Mapping[str, Any]], Any]
Processor = Callable[[Any, Sequence[Mapping[str, Any]]], list[Outcome]]


@dataclass(frozen=True)
class OptionSpec:
    """One option of a kind. `type` is str, int, float, bool or list (comma-separated text);
    a `secret` option is stored in the manifest only as its SHA-256."""

    type: str
    default: Any = None
    help: str = ""
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobKind:
    """A registered job kind (see the module docstring)."""

    name: str
    summary: str
    fields: tuple[str, ...]
    load: Loader
    process: Processor
    options: Mapping[str, OptionSpec] = field(default_factory=dict)
    finalize: Callable[[Mapping[str, Any], Any], dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "fields": list(self.fields),
            "options": {
                name: {
                    "type": spec.type,
                    "default": spec.default,
                    "required": spec.required,
                    "choices": list(spec.choices),
                    "help": spec.help,
                }
                for name, spec in self.options.items()
            },
        }

    def resolve_options(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Typed options with defaults filled in; unknown or ill-typed options are refused."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            known = ", ".join(self.options) or "none"
            raise UnknownNameError(
                f"job kind {self.name!r} has no option {unknown[0]!r}; its options: {known}"
            )
        out: dict[str, Any] = {}
        for name, spec in self.options.items():
            value = given.get(name, spec.default)
            if value is None:
                if spec.required:
                    raise InvalidInputError(
                        f"job kind {self.name!r} needs the option {name!r} ({spec.help}); "
                        f"pass --option {name}=VALUE"
                    )
                out[name] = None
                continue
            out[name] = _coerce(self.name, name, spec, value)
        return out

    def manifest_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Options as stored in the manifest: secret values replaced by their SHA-256."""
        out: dict[str, Any] = {}
        for name, value in options.items():
            secret = self.options[name].secret if name in self.options else False
            if secret and value is not None:
                out[name] = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
            else:
                out[name] = value
        return out


def _coerce(kind: str, name: str, spec: OptionSpec, value: Any) -> Any:
    try:
        if spec.type == "list":
            items = value.split(",") if isinstance(value, str) else list(value)
            result: Any = [str(v).strip() for v in items if str(v).strip()]
        elif spec.type == "bool":
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                result = value.lower() in ("true", "1", "yes")
            else:
                result = bool(value)
        elif spec.type == "int":
            result = int(value)
        elif spec.type == "float":
            result = float(value)
        else:
            result = str(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"option {name!r} of job kind {kind!r} must be a {spec.type}, got {value!r}"
        ) from None
    if spec.choices and result not in spec.choices:
        raise InvalidInputError(
            f"option {name!r} of job kind {kind!r} must be one of {', '.join(spec.choices)}, "
            f"got {result!r}"
        )
    return result


class KindRegistry:
    """Job kinds by name; the CLI builds its choices from it."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def register(self, kind: JobKind) -> JobKind:
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str) -> JobKind:
        if name not in self._kinds:
            raise UnknownNameError(
                f"unknown job kind {name!r}; expected one of {', '.join(self._kinds)}"
            )
        return self._kinds[name]

    def names(self) -> list[str]:
        return list(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Any:
        return iter(self._kinds.values())


JOB_KINDS = KindRegistry()


def text_of(record: Mapping[str, Any], name: str = "text") -> str:
    """A record's text field, or an InvalidInputError naming what is wrong."""
    value = record.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(
            f'field "{name}" must be a string, got {type(value).__name__}'
            if value is not None
            else f'field "{name}" is missing'
        )
    if not value.strip():
        raise InvalidInputError(f'field "{name}" is empty')
    return value
