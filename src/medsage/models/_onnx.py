"""ONNX export of a transformer bundle, optional int8 dynamic quantisation, and an ONNX
Runtime session that `predict` uses automatically when the export matches the weights.

Layout inside the bundle folder::

    onnx/model.onnx        float32 graph (torch.export-based exporter)
    onnx/model.int8.onnx   int8 dynamic quantisation of the linear layers (when asked)
    onnx/onnx.json         sha256 of model.safetensors at export time, and the check numbers
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from medsage.errors import InvalidInputError, MissingFileError

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
MANIFEST = "onnx.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_onnx(
    model_dir: str | Path, *, quantize: bool = False, check_texts: list[str] | None = None
) -> dict[str, Any]:
    """Export the transformer bundle at `model_dir` to ONNX (and int8 when `quantize`).

    Returns the files written and the largest logit difference against PyTorch on
    `check_texts` (a few built-in sentences when None), for float32 and int8.
    """
    try:
        import onnxruntime  # noqa: F401
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise MissingFileError(
            "ONNX export needs onnxruntime and onnxscript: "
            "pip install onnxruntime==1.32.0 onnxscript==0.7.2 onnx==1.23.2"
        ) from None
    import torch

    from medsage.models._classifier import TextClassifier

    folder = Path(model_dir)
    classifier = TextClassifier.load(folder)
    if classifier.backend != "transformer":
        raise InvalidInputError(
            f"{folder} holds a {classifier.backend} model; only transformer bundles export to ONNX"
        )
    backend: Any = classifier.model_
    network = backend.network.to("cpu").eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            logits: torch.Tensor = self.network(input_ids, attention_mask)
            return logits

    texts = check_texts or [
        "chest pain radiating to the left arm",
        "患者咳嗽咳痰三天，体温38.5℃",
        "多饮多尿，空腹血糖9.8mmol/L，体重下降",
    ]
    sequences = backend.encode(texts)
    from medsage.models._transformer import pad_batch

    ids, mask = pad_batch(sequences, backend.pad_id)
    out = folder / ONNX_DIR
    out.mkdir(exist_ok=True)
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    program = torch.onnx.export(
        Logits(),
        (ids, mask),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
        dynamo=True,
        verbose=False,
    )
    if program is None:
        raise InvalidInputError(f"{folder}: the ONNX exporter returned no program")
    fp32 = out / "model.onnx"
    program.save(str(fp32))
    with torch.inference_mode():
        reference = network(ids, mask).numpy()
    report: dict[str, Any] = {
        "weights_sha256": _sha256(folder / "model.safetensors"),
        "files": [str(fp32.relative_to(folder))],
        "max_logit_diff_fp32": _max_diff(fp32, ids, mask, reference),
    }
    if quantize:
        int8 = out / "model.int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        report["files"].append(str(int8.relative_to(folder)))
        report["max_logit_diff_int8"] = _max_diff(int8, ids, mask, reference)
    (out / MANIFEST).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def _max_diff(path: Path, ids: Any, mask: Any, reference: np.ndarray) -> float:
    session = _session(path)
    logits = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    return float(np.abs(logits - reference).max())


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_onnx_session(folder: Path) -> tuple[Any, str] | None:
    """The ONNX Runtime session to predict with (int8 preferred), or None when there is no
    export, onnxruntime is missing, or the export is stale (the weights changed since)."""
    manifest = folder / ONNX_DIR / MANIFEST
    if not manifest.is_file():
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        logger.warning("%s has an ONNX export but onnxruntime is not installed", folder)
        return None
    info = json.loads(manifest.read_text(encoding="utf-8"))
    if info.get("weights_sha256") != _sha256(folder / "model.safetensors"):
        logger.warning("%s: the ONNX export is older than the weights; using PyTorch", folder)
        return None
    for name in ("model.int8.onnx", "model.onnx"):
        path = folder / ONNX_DIR / name
        if path.is_file():
            return _session(path), name
    return None
