"""Request and response schemas (Pydantic v2). Create models and public models are separate,
so a private field (a password, a key hash) can never leak into a response."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 20_000  # characters in one clinical text
LANG = Literal["auto", "zh", "en"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class TextIn(_In):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="Clinical text, zh or en.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "发热3天，咳嗽，咳黄痰，右侧胸痛。"}]},
    )


class ClassifyIn(_In):
    texts: list[str] = Field(min_length=1, max_length=256, description="Texts to classify.")
    top_k: int = Field(3, ge=1, le=50)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"texts": ["小便时烧灼感，尿频尿急两天。"], "top_k": 3}]},
    )


class ExplainIn(_In):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    label: str | None = Field(None, max_length=200, description="Default: the predicted label.")
    steps: int = Field(16, ge=2, le=64, description="Integrated-gradients steps.")


class DiagnoseIn(_In):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The case, zh or en.")
    lang: LANG = "auto"
    k: int = Field(5, ge=1, le=20, description="Candidates in the differential.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "62岁男性，突发胸骨后压榨样疼痛1小时，大汗，血压90/60mmHg。",
                    "lang": "auto",
                    "k": 5,
                }
            ]
        },
    )


class DeidIn(_In):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    lang: LANG = "auto"
    operator: Literal["tag", "mask", "redact", "surrogate"] = "tag"

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "患者张伟，电话13812345678，2023年3月5日入院。", "lang": "auto"}]
        },
    )


class SearchIn(_In):
    query: str = Field(min_length=1, max_length=1000)
    k: int = Field(10, ge=1, le=100)
    mode: Literal["bm25", "dense", "hybrid"] = "hybrid"
    year_min: int | None = Field(None, ge=1800, le=2100)
    year_max: int | None = Field(None, ge=1800, le=2100)
    languages: list[Literal["zh", "en", "mixed"]] = Field(default_factory=list, max_length=3)
    sources: list[str] = Field(default_factory=list, max_length=20)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "hypertension treatment", "k": 5}]},
    )


class SummarizeIn(SearchIn):
    sentences: int = Field(5, ge=1, le=20)


class TrendsIn(_In):
    query: str | None = Field(None, min_length=1, max_length=1000)
    k: int = Field(1000, ge=1, le=10_000)


class ConsultIn(_In):
    question: str = Field(min_length=1, max_length=4000)
    patient_id: str | None = Field(None, min_length=1, max_length=64)
    conversation_id: str | None = Field(None, min_length=1, max_length=64)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"question": "What are the symptoms of high blood pressure?"}]
        },
    )


class MoleculesIn(_In):
    smiles: list[str] = Field(min_length=1, max_length=5000, description="SMILES, one per item.")
    filters: list[str] = Field(default_factory=lambda: ["lipinski", "pains"], max_length=10)
    similar_to: list[str] = Field(default_factory=list, max_length=10)
    top: int | None = Field(None, ge=1, le=100_000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"smiles": ["CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C"]}]
        },
    )


class PatientCreate(_In):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")
    family_name: str | None = Field(None, max_length=200)
    given_name: str | None = Field(None, max_length=200)
    gender: Literal["male", "female", "other", "unknown"] | None = None
    birth_date: date | None = None


class ObservationCreate(_In):
    code: str = Field(min_length=3, max_length=16, description="LOINC code, e.g. 8480-6.")
    value: float | None = None
    unit: str | None = Field(None, max_length=32, description="UCUM unit, e.g. mm[Hg].")
    value_text: str | None = Field(None, max_length=500)
    display: str | None = Field(None, max_length=200)
    effective: datetime


class UserCreate(_In):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    password: str = Field(min_length=12, max_length=200)
    role: Literal["admin", "clinician", "researcher", "patient"]
    patient_id: str | None = Field(None, max_length=64)
    display_name: str | None = Field(None, max_length=200)


class UserPublic(BaseModel):
    id: int
    username: str
    role: str
    disabled: bool
    patient_id: str | None
    display_name: str | None
    created: datetime


class ApiKeyCreate(_In):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    created: datetime
    revoked: bool


class ApiKeyCreated(ApiKeyPublic):
    secret: str = Field(description="Shown once; store it now, it cannot be read again.")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Assignment(_In):
    patient_id: str = Field(min_length=1, max_length=64)


JSON = dict[str, Any]
