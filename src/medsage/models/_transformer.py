"""The `transformer` backend: fine-tune a local BERT-style checkpoint for classification.

The network is the base encoder, mean pooling over real tokens, dropout and a linear head.
A bundle holds the encoder config, the tokenizer and all weights in one safetensors file.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from medsage.errors import InvalidInputError, ModelBundleError
from medsage.models._backend import Progress, check_setting_names
from medsage.models._finetune import state_copy

logger = logging.getLogger(__name__)

DEV_METRICS = ("accuracy", "macro_f1")


@dataclass(frozen=True)
class TransformerSettings:
    """Hyper-parameters of the transformer backend (saved in the bundle)."""

    base: str = "minilm"  # "minilm", "e5" or a local checkpoint folder
    max_length: int = 128
    epochs: int = 5
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    grad_accumulation: int = 1
    class_weight: str | None = None  # or "balanced"
    dropout: float = 0.1
    patience: int = 2  # epochs without dev improvement before stopping
    # Linear probing first (LP-FT, Kumar et al., ICLR 2022): this many epochs train the head
    # alone on the frozen encoder, at `probe_learning_rate`, before the full fine-tune. A head
    # that already fits keeps the first fine-tuning steps from distorting the pretrained
    # features, which the paper shows helps out of distribution.
    probe_epochs: int = 0
    probe_learning_rate: float = 1e-3
    # Weight-space ensembling (WiSE-FT, Wortsman et al., CVPR 2022): the kept weights are
    # (1 - wise_alpha) x the probed model (pretrained encoder + probed head) + wise_alpha x the
    # fine-tuned one. 1 keeps the fine-tuned model; lower values keep more of the pretrained
    # features, which the paper shows helps out of distribution at little cost in it.
    # Needs probe_epochs > 0 (the probed model is the other end).
    wise_alpha: float = 1.0
    # Weight averaging (SWA, Izmailov et al., UAI 2018): from this epoch on, the weights at the
    # end of each epoch are averaged. With dev data the average is kept only when it scores at
    # least as well as the best single epoch. 0 = off.
    average_from_epoch: int = 0
    dev_metric: str = "accuracy"
    checkpoint_dir: str | None = None  # resumable training state, written every epoch
    device: str = "auto"  # "auto", "cpu", "cuda"

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TransformerSettings:
        check_setting_names("transformer", values, {f.name for f in fields(cls)})
        s = cls(**values)
        checks = [
            (s.max_length >= 8, f"max_length must be >= 8, got {s.max_length}"),
            (s.epochs >= 1, f"epochs must be >= 1, got {s.epochs}"),
            (s.probe_epochs >= 0, f"probe_epochs must be >= 0, got {s.probe_epochs}"),
            (s.probe_learning_rate > 0, "probe_learning_rate must be > 0"),
            (
                0 <= s.average_from_epoch <= s.epochs,
                f"average_from_epoch must be in [0, epochs], got {s.average_from_epoch}",
            ),
            (0 <= s.wise_alpha <= 1, f"wise_alpha must be in [0, 1], got {s.wise_alpha}"),
            (
                s.wise_alpha == 1 or s.probe_epochs > 0,
                "wise_alpha < 1 mixes with the probed model: set probe_epochs > 0",
            ),
            (s.batch_size >= 1, f"batch_size must be >= 1, got {s.batch_size}"),
            (s.learning_rate > 0, f"learning_rate must be > 0, got {s.learning_rate}"),
            (0 <= s.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got {s.warmup_ratio}"),
            (s.grad_accumulation >= 1, "grad_accumulation must be >= 1"),
            (s.class_weight in (None, "balanced"), "class_weight must be 'balanced' or None"),
            (s.dev_metric in DEV_METRICS, f"dev_metric must be one of {DEV_METRICS}"),
            (s.device in ("auto", "cpu", "cuda"), "device must be auto, cpu or cuda"),
        ]
        for ok, message in checks:
            if not ok:
                raise InvalidInputError(message)
        return s

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars (we report progress ourselves)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def pick_device(name: str) -> Any:
    import torch

    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise InvalidInputError("device 'cuda' was asked for but no CUDA GPU is available")
        return torch.device("cuda")
    return torch.device("cpu")


def build_network(encoder: Any, n_classes: int, dropout: float) -> Any:
    """Encoder + mean pooling + dropout + linear head, as one torch module."""
    import torch

    class EncoderClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, n_classes)

        def forward(
            self,
            input_ids: torch.Tensor | None,
            attention_mask: torch.Tensor,
            inputs_embeds: torch.Tensor | None = None,
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds
            )[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            logits: torch.Tensor = self.head(self.dropout(pooled))
            return logits

    return EncoderClassifier()


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """Dynamic padding: ids and attention mask padded to the longest sequence in the batch."""
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


class TransformerBackend:
    """Fine-tunes and applies an encoder classifier."""

    name: ClassVar[str] = "transformer"
    # A refit costs minutes to hours: calibrate on dev data instead of out-of-fold scores.
    cv_calibration: ClassVar[bool] = False

    def __init__(self, settings: TransformerSettings) -> None:
        self.settings = settings
        self.network: Any = None
        self.tokenizer: Any = None
        self._n_classes = 0
        self.history: list[dict[str, float]] = []
        self.onnx: Any = None  # (onnxruntime session, file name) when an export is used
        # After a fit with wise_alpha < 1: (probed, fine-tuned) weights, for `set_wise_alpha`.
        self.wise_ends: tuple[dict[str, Any], dict[str, Any]] | None = None

    @classmethod
    def settings_from_dict(cls, values: dict[str, Any]) -> TransformerSettings:
        return TransformerSettings.from_dict(values)

    @property
    def n_classes(self) -> int:
        return self._n_classes

    def encode(self, texts: list[str]) -> list[list[int]]:
        from medsage.text import normalize

        batch = self.tokenizer(
            [normalize(t) for t in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )
        return [list(ids) for ids in batch["input_ids"]]

    def fit(
        self,
        texts: list[str],
        y: np.ndarray,
        n_classes: int,
        seed: int,
        *,
        dev: tuple[list[str], np.ndarray] | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Fine-tune the base checkpoint on `texts` (early stopping on `dev` when given)."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        from medsage.models._bases import resolve_base
        from medsage.models._finetune import finetune

        quiet_transformers()
        base = resolve_base(self.settings.base)
        torch.manual_seed(seed)
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        encoder = AutoModel.from_pretrained(base).float()  # train in float32 whatever was saved
        self.network = build_network(encoder, n_classes, self.settings.dropout)
        self._n_classes = n_classes
        device = pick_device(self.settings.device)
        train_ids = self.encode(texts)
        dev_ids = None if dev is None else (self.encode(dev[0]), dev[1])
        self.history = []
        checkpoint = self.settings.checkpoint_dir
        resuming = checkpoint is not None and (Path(checkpoint) / "state.json").is_file()
        if self.settings.probe_epochs and not resuming:  # a resumed run restores its weights
            self.history = self._probe(train_ids, y, n_classes, seed, device, progress)
        probed = self._probed_state(checkpoint, resuming) if self.settings.wise_alpha < 1 else None
        self.history += finetune(
            self.network,
            train_ids,
            y,
            n_classes,
            self.settings,
            seed=seed,
            pad_id=self.pad_id,
            dev=dev_ids,
            device=device,
            progress=progress,
        )
        self.network.to("cpu")
        if probed is not None:
            self.wise_ends = (probed, state_copy(self.network))
            self.set_wise_alpha(self.settings.wise_alpha)

    def _probed_state(self, checkpoint: str | None, resuming: bool) -> dict[str, Any]:
        """The probed weights: kept in memory, and next to a resumable checkpoint."""
        from safetensors.torch import load_file, save_file

        path = None if checkpoint is None else Path(checkpoint) / "probed.safetensors"
        if resuming:
            assert path is not None
            if not path.is_file():
                raise InvalidInputError(
                    f"{path} is missing: the checkpoint was not written by a wise_alpha < 1 run"
                )
            return dict(load_file(str(path)))
        state = state_copy(self.network)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_file(state, str(path))
        return state

    def set_wise_alpha(self, alpha: float) -> None:
        """Load (1 - alpha) x probed + alpha x fine-tuned weights (after a wise_alpha < 1 fit)."""
        from dataclasses import replace

        if self.wise_ends is None:
            raise InvalidInputError("set_wise_alpha needs a model fitted with wise_alpha < 1")
        if not 0 <= alpha <= 1:
            raise InvalidInputError(f"wise_alpha must be in [0, 1], got {alpha}")
        probed, tuned = self.wise_ends
        mixed = {
            k: (1 - alpha) * probed[k] + alpha * v if v.is_floating_point() else v
            for k, v in tuned.items()
        }
        self.network.load_state_dict(mixed)
        self.settings = replace(self.settings, wise_alpha=alpha)

    def _probe(
        self,
        train_ids: list[list[int]],
        y: np.ndarray,
        n_classes: int,
        seed: int,
        device: Any,
        progress: Progress | None,
    ) -> list[dict[str, float]]:
        """Train the head alone on the frozen encoder (the LP of LP-FT)."""
        from dataclasses import replace

        from medsage.models._finetune import finetune

        encoder = self.network.encoder
        for param in encoder.parameters():
            param.requires_grad_(False)
        try:
            probe = replace(
                self.settings,
                epochs=self.settings.probe_epochs,
                learning_rate=self.settings.probe_learning_rate,
                warmup_ratio=0.0,
                checkpoint_dir=None,
                average_from_epoch=0,
            )
            history = finetune(
                self.network, train_ids, y, n_classes, probe, seed=seed, pad_id=self.pad_id,
                dev=None, device=device,
                progress=None if progress is None else (lambda m: progress(f"probe: {m}")),
            )  # fmt: skip
        finally:
            for param in encoder.parameters():
                param.requires_grad_(True)
        return [{**h, "probe": 1.0} for h in history]

    @property
    def max_length(self) -> int:
        """Tokens kept per text: the setting, capped by the encoder's position table."""
        config = self.network.encoder.config
        limit = getattr(config, "max_position_embeddings", None) or getattr(
            config, "n_positions", None
        )
        return min(self.settings.max_length, int(limit)) if limit else self.settings.max_length

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else 0)

    def decision_function(self, texts: list[str]) -> np.ndarray:
        """Logits (n_texts, n_classes), computed in length-sorted batches."""
        return self.logits_for_ids(self.encode(texts))

    def logits_for_ids(self, sequences: list[list[int]], batch_size: int = 64) -> np.ndarray:
        import torch

        if self.onnx is not None:
            return self._onnx_logits(sequences, batch_size)

        device = pick_device(self.settings.device)
        self.network.to(device).eval()
        order = np.argsort([len(s) for s in sequences], kind="stable")
        out = np.zeros((len(sequences), self._n_classes), dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                ids, mask = pad_batch([sequences[i] for i in idx], self.pad_id)
                logits = self.network(ids.to(device), mask.to(device))
                out[idx] = logits.float().cpu().numpy()
        return out

    def _onnx_logits(self, sequences: list[list[int]], batch_size: int) -> np.ndarray:
        session, _name = self.onnx
        order = np.argsort([len(s) for s in sequences], kind="stable")
        out = np.zeros((len(sequences), self._n_classes), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids, mask = pad_batch([sequences[i] for i in idx], self.pad_id)
            feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
            out[idx] = session.run(None, feed)[0]
        return out

    def known_word_share(self, texts: list[str]) -> list[float | None]:
        """Share of sub-word tokens that are not the unknown token."""
        unk = self.tokenizer.unk_token_id
        special = set(self.tokenizer.all_special_ids)
        shares: list[float | None] = []
        for ids in self.encode(texts):
            content = [i for i in ids if i not in special or i == unk]
            shares.append(None if not content else sum(i != unk for i in content) / len(content))
        return shares

    def char_attributions(self, text: str, class_index: int, *, steps: int = 32) -> np.ndarray:
        """Integrated Gradients (Sundararajan et al., ICML 2017) of the class logit with respect
        to the word embeddings, from an all-zero embedding baseline, spread over the characters
        of `normalize(text)` that each sub-word token covers.

        The token scores sum to logit(text) - logit(baseline) up to the Riemann error of
        `steps` midpoint steps (the completeness axiom; tested).
        """

        from medsage.text import normalize

        norm = normalize(text)
        encoded = self.tokenizer(
            norm,
            truncation=True,
            max_length=self.max_length,
            return_offsets_mapping=True,
        )
        scores = self.token_attributions(encoded["input_ids"], class_index, steps=steps)
        chars = np.zeros(len(norm), dtype=np.float64)
        for (start, end), score in zip(encoded["offset_mapping"], scores, strict=True):
            if end > start:  # special tokens have an empty span
                chars[start:end] += score / (end - start)
        return chars

    def token_attributions(self, ids: list[int], class_index: int, *, steps: int = 32) -> Any:
        """Integrated-Gradients score of each token id for `class_index` (numpy array)."""
        import torch

        network = self.network.to("cpu").eval()
        tokens = torch.tensor([ids], dtype=torch.long)
        with torch.no_grad():
            embedded = network.encoder.get_input_embeddings()(tokens)
        alphas = (torch.arange(steps, dtype=embedded.dtype) + 0.5) / steps
        path = (alphas[:, None, None] * embedded).detach().requires_grad_(True)
        mask = torch.ones((steps, len(ids)), dtype=torch.long)
        logits = network(None, mask, inputs_embeds=path)
        logits[:, class_index].sum().backward()
        assert path.grad is not None
        return (embedded[0] * path.grad.mean(0)).sum(-1).detach().numpy()

    # -- persistence ----------------------------------------------------------------------
    def write(self, folder: Path) -> None:
        from safetensors.torch import save_file

        self.network.encoder.config.save_pretrained(folder / "encoder")
        self.tokenizer.save_pretrained(folder / "tokenizer")
        state = {k: v.detach().cpu().contiguous() for k, v in self.network.state_dict().items()}
        save_file(state, str(folder / "model.safetensors"))

    @classmethod
    def read(cls, settings: TransformerSettings, folder: Path) -> TransformerBackend:
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        quiet_transformers()
        backend = cls(settings)
        try:
            config = AutoConfig.from_pretrained(folder / "encoder")
            backend.tokenizer = AutoTokenizer.from_pretrained(folder / "tokenizer")
            state = load_file(str(folder / "model.safetensors"))
        except (OSError, ValueError) as exc:
            raise ModelBundleError(f"{folder}: transformer weights unreadable ({exc})") from None
        n_classes = int(state["head.weight"].shape[0])
        network = build_network(AutoModel.from_config(config), n_classes, settings.dropout)
        missing, unexpected = network.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ModelBundleError(
                f"{folder}: weights do not fit the network (missing {missing[:3]}, "
                f"unexpected {unexpected[:3]})"
            )
        network.eval()
        backend.network = network
        backend._n_classes = n_classes
        from medsage.models._onnx import load_onnx_session

        backend.onnx = load_onnx_session(folder)
        return backend
