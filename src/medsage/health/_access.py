"""Who may see which patient's record, and the de-identified view researchers get.

The policy, in one place (the service calls these, never its own `if role == ...`):

| role       | read a patient           | change a patient     | create patients |
|------------|--------------------------|----------------------|-----------------|
| admin      | full                     | yes                  | yes             |
| clinician  | full if assigned         | if assigned          | yes (then assigned by the caller) |
| patient    | full for their own record| no                   | no              |
| researcher | de-identified            | no                   | no              |
| disabled   | none                     | no                   | no              |

The de-identified view follows the HIPAA Safe Harbor method (45 CFR 164.514(b)(2)): no names,
no record ids (a keyed pseudonym instead), no date element finer than the year, and ages of 90
or more folded into one "90 or older" group (birth year and ages withheld for such patients).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from medsage.errors import InvalidInputError
from medsage.health._records import ObservationRecord, PatientRecord
from medsage.health._users import UserRecord, UserStore

PSEUDONYM_PREFIX = "R-"
PSEUDONYM_HEX = 16  # 64 bits: collisions are negligible below ~10^8 patients
MIN_KEY_BYTES = 16
# 45 CFR 164.514(b)(2)(i)(C): ages over 89, and dates (including year) that reveal them, are
# aggregated into a single category of age 90 or older.
SAFE_HARBOR_AGE_CAP = 90


class Access(StrEnum):
    """How much of a patient's record a user may read."""

    FULL = "full"
    DEIDENTIFIED = "deidentified"
    NONE = "none"


def patient_access(user: UserRecord, patient_id: str, users: UserStore) -> Access:
    """How much of patient `patient_id`'s record `user` may read (see the module's table)."""
    if user.disabled:
        return Access.NONE
    if user.role == "admin":
        return Access.FULL
    if user.role == "clinician":
        return Access.FULL if users.is_assigned(user.username, patient_id) else Access.NONE
    if user.role == "patient":
        return Access.FULL if user.patient_id == patient_id else Access.NONE
    if user.role == "researcher":
        return Access.DEIDENTIFIED
    return Access.NONE  # a role this code does not know gets nothing


def can_write_patient(user: UserRecord, patient_id: str, users: UserStore) -> bool:
    """Whether `user` may change patient `patient_id`'s record (admins; assigned clinicians)."""
    if user.disabled:
        return False
    if user.role == "admin":
        return True
    if user.role == "clinician":
        return users.is_assigned(user.username, patient_id)
    return False


def can_create_patients(user: UserRecord) -> bool:
    """Whether `user` may create or import patients (admins and clinicians)."""
    return not user.disabled and user.role in ("admin", "clinician")


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        size = len(key) if isinstance(key, bytes) else type(key).__name__
        raise InvalidInputError(
            f"pseudonym key must be at least {MIN_KEY_BYTES} random bytes, got {size}; "
            "use e.g. secrets.token_bytes(32) and keep it secret (who holds it can link "
            "pseudonyms back to record ids)"
        )
    return key


def pseudonym(patient_id: str, key: bytes) -> str:
    """A stable pseudonym for `patient_id`: "R-" + the first 16 hex digits of
    HMAC-SHA256(key, patient_id). Without `key` it cannot be linked back to the id."""
    digest = hmac.new(_check_key(key), patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


def _age(birth_date: date, on: date) -> int:
    """Age in whole years on day `on` (a birthday on 29 February counts from 1 March)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def deidentified_patient(
    record: PatientRecord, key: bytes, today: date | None = None
) -> dict[str, Any]:
    """A patient without identity: pseudonym, gender, birth year, whether deceased.

    `birth_year` is None when unknown, or when the patient is 90 or older `today` (default: the
    current UTC date), which `age_90_or_over` then says.
    """
    today = today or datetime.now(UTC).date()
    old = record.birth_date is not None and _age(record.birth_date, today) >= SAFE_HARBOR_AGE_CAP
    return {
        "id": pseudonym(record.id, key),
        "gender": record.gender,
        "birth_year": None if old or record.birth_date is None else record.birth_date.year,
        "deceased": record.deceased is not None,
        "age_90_or_over": old,
    }


def deidentified_observation(
    record: ObservationRecord, key: bytes, birth_date: date | None, today: date | None = None
) -> dict[str, Any]:
    """An observation without identity: codes and values kept, the patient id pseudonymised,
    the time cut to its year plus the patient's age then, in whole years.

    For a patient 90 or older `today` (default: the current UTC date) the age is withheld
    (`age_90_or_over` is True): year and age together would give the birth year away.
    Dropped: the observation and encounter ids, the issued time, and `value_text` unless it
    names a coded value (a free-text string value may hold names or places).
    """
    today = today or datetime.now(UTC).date()
    effective = record.effective.astimezone(UTC).date() if record.effective else None
    old = birth_date is not None and _age(birth_date, today) >= SAFE_HARBOR_AGE_CAP
    age: int | None = None
    if effective is not None and birth_date is not None and not old:
        age = _age(birth_date, effective)
    return {
        "patient_id": pseudonym(record.patient_id, key),
        "code": record.code,
        "display": record.display,
        "value": record.value,
        "unit": record.unit,
        "value_code": record.value_code,
        "value_system": record.value_system,
        "value_text": record.value_text if record.value_code is not None else None,
        "category": record.category,
        "status": record.status,
        "component": record.component,
        "year": effective.year if effective is not None else None,
        "age_at_observation": age,
        "age_90_or_over": old,
    }


# Keys that point back into the record (observation ids start with the patient's record id).
_LINK_KEYS = frozenset({"provenance", "observation_ids", "source_id", "observation_id"})
_ISO_DATE = re.compile(r"\b(\d{4})-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


def deidentified_result(value: Any, real_id: str, alias: str) -> Any:
    """Derived results (risk, alerts, trends) as a researcher may see them (HIPAA Safe Harbor,
    as above): links to record ids dropped, the record id replaced by its
    pseudonym, every date cut to its year, an age of 90 or more withheld."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _LINK_KEYS:
                continue
            if key == "age" and isinstance(item, int | float) and item >= 90:
                out[key] = None
                continue
            out[key] = deidentified_result(item, real_id, alias)
        return out
    if isinstance(value, list):
        return [deidentified_result(item, real_id, alias) for item in value]
    if isinstance(value, str):
        whole = _ISO_DATE.fullmatch(value)
        if whole:
            return int(whole.group(1))
        text = re.sub(r"\bon (" + _ISO_DATE.pattern + ")", r"in \1", value)
        return _ISO_DATE.sub(r"\1", text.replace(real_id, alias))
    return value
