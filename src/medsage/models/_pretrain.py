"""Domain pretraining: BERT-style masked LM (whole-word masking for Chinese) and GPT-style
causal LM on a corpus of plain texts, reporting held-out loss and perplexity before and after.

The output folder is a Hugging Face checkpoint that `TextClassifier("transformer", base=...)`
fine-tunes like any other.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.models._backend import Progress

OBJECTIVES = ("mlm", "clm")
# Sizes of models trained from scratch (hidden size, layers, heads).
CONFIGS = {"tiny": (64, 2, 2), "small": (256, 4, 4)}
MASK_RATE = 0.15  # BERT (Devlin et al. 2019): 15% of positions, of which 80% [MASK],
MASK_SPLIT = (0.8, 0.1)  # 10% a random token, 10% unchanged


@dataclass(frozen=True)
class PretrainResult:
    """What pretraining did, with held-out loss and perplexity before and after."""

    out: str
    objective: str
    steps: int
    n_train: int
    n_heldout: int
    heldout_loss_before: float
    heldout_loss_after: float
    seconds: float
    freeze_encoder: bool = False

    @property
    def perplexity_before(self) -> float:
        return math.exp(min(self.heldout_loss_before, 50.0))

    @property
    def perplexity_after(self) -> float:
        return math.exp(min(self.heldout_loss_after, 50.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "perplexity_before": self.perplexity_before,
            "perplexity_after": self.perplexity_after,
        }


def load_corpus(path: str | Path) -> list[str]:
    """Texts from a file (one per line; `.jsonl` uses the `text` field) or a folder of them."""
    from medsage.datasets import load_texts

    source = Path(path)
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    texts = [t for f in files for t in load_texts(f)]
    if not texts:
        raise EmptyInputError(f"no texts found in {source}")
    return texts


def pretrain(
    corpus: list[str],
    out: str | Path,
    *,
    objective: str = "mlm",
    base: str | None = None,
    config: str = "tiny",
    steps: int = 200,
    batch_size: int = 16,
    max_length: int = 128,
    learning_rate: float = 5e-4,
    heldout: float = 0.05,
    seed: int = 0,
    device: str = "auto",
    freeze_encoder: bool = False,
    progress: Progress | None = None,
) -> PretrainResult:
    """Pretrain (or continue pretraining `base`) on `corpus` and save a checkpoint to `out`.

    Args:
        corpus: plain texts; a `heldout` share (at least one text) is kept aside to measure
            loss and perplexity before and after. The held-out texts and their masks depend
            only on `corpus`, `heldout`, `seed` and the tokenizer, so a second call with the
            same ones (say, continuing from the first call's checkpoint) scores the same slice.
        objective: "mlm" (masked LM, whole-word masking over jieba/English words) or "clm"
            (next-token prediction).
        base: a checkpoint folder or alias to continue from; None trains a `config`-sized model
            from scratch with a WordPiece vocabulary learnt on the corpus.
        freeze_encoder: train only the LM head's own weights and keep the encoder (embeddings
            included) fixed. An encoder-only checkpoint such as the converted e5 has no trained
            MLM head, so its perplexity "before" measures a random head; training the head
            alone first gives the baseline that continued pretraining should beat. A head tied
            to the input embeddings stays tied, so it stays fixed too: BERT's MLM head keeps its
            transform and output bias trainable, GPT-2's tied head has nothing left and is
            refused.
    """
    import torch

    from medsage.models._transformer import pick_device, quiet_transformers
    from medsage.text import normalize

    if objective not in OBJECTIVES:
        raise InvalidInputError(f"objective must be mlm or clm, got {objective!r}")
    if config not in CONFIGS:
        raise InvalidInputError(f"config must be one of {', '.join(CONFIGS)}, got {config!r}")
    texts = [normalize(t) for t in corpus if t.strip()]
    if len(texts) < 2:
        raise EmptyInputError("pretraining needs at least 2 non-empty texts")
    if steps < 1 or not 0 < heldout < 1:
        raise InvalidInputError("steps must be >= 1 and heldout in (0, 1)")
    quiet_transformers()
    report = progress or (lambda _m: None)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    n_held = max(1, int(len(texts) * heldout))
    held = [texts[i] for i in order[:n_held]]
    train = [texts[i] for i in order[n_held:]]
    torch.manual_seed(seed)
    model, tokenizer = _build(objective, base, config, train, max_length)
    dev = pick_device(device)
    model.to(dev)
    if freeze_encoder:
        for parameter in model.base_model.parameters():
            parameter.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise InvalidInputError(
            "freeze_encoder leaves nothing to train: this model's head is tied to its embeddings"
        )
    encode = _Encoder(tokenizer, objective, max_length)
    held_batches = [
        encode(held[i : i + batch_size], np.random.default_rng(seed))
        for i in range(0, len(held), batch_size)
    ]
    before = _loss(model, held_batches, dev)
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps)
    )
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        idx = rng.choice(len(train), size=min(batch_size, len(train)), replace=False)
        batch = encode([train[i] for i in idx], rng)
        loss = model(**{k: v.to(dev) for k, v in batch.items()}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if (step + 1) % 10 == 0 or step + 1 == steps:
            report(f"step {step + 1}/{steps} loss {loss.item():.4f}")
    after = _loss(model, held_batches, dev)
    folder = Path(out)
    model.to("cpu").save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return PretrainResult(
        str(folder), objective, steps, len(train), len(held), before, after,
        time.perf_counter() - started, freeze_encoder,
    )  # fmt: skip


def _build(
    objective: str, base: str | None, config: str, corpus: list[str], max_length: int
) -> tuple[Any, Any]:
    import tempfile

    from transformers import (
        AutoModelForCausalLM,
        AutoModelForMaskedLM,
        AutoTokenizer,
        BertConfig,
        BertForMaskedLM,
        GPT2Config,
        GPT2LMHeadModel,
    )

    from medsage.models._bases import make_tiny_base, resolve_base

    if base is not None:
        folder = resolve_base(base)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        loader = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
        model = loader.from_pretrained(folder).float()
    else:
        hidden, layers, heads = CONFIGS[config]
        with tempfile.TemporaryDirectory() as tmp:
            vocab_folder = make_tiny_base(Path(tmp) / "vocab", corpus, max_length=max_length)
            tokenizer = AutoTokenizer.from_pretrained(vocab_folder)
        if objective == "mlm":
            model = BertForMaskedLM(
                BertConfig(
                    vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
                    num_attention_heads=heads, intermediate_size=4 * hidden,
                    max_position_embeddings=max_length + 2, pad_token_id=tokenizer.pad_token_id,
                )
            )  # fmt: skip
        else:
            model = GPT2LMHeadModel(
                GPT2Config(
                    vocab_size=len(tokenizer), n_embd=hidden, n_layer=layers, n_head=heads,
                    n_positions=max_length,
                    bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
                    pad_token_id=tokenizer.pad_token_id,
                )
            )  # fmt: skip
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    if objective == "mlm" and tokenizer.mask_token is None:
        raise InvalidInputError("masked-LM pretraining needs a tokenizer with a mask token")
    return model, tokenizer


class _Encoder:
    """Turns texts into a padded batch with labels for the objective."""

    def __init__(self, tokenizer: Any, objective: str, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.objective = objective
        self.max_length = max_length

    def __call__(self, texts: list[str], rng: np.random.Generator) -> dict[str, Any]:
        import torch

        enc = self.tokenizer(
            texts, truncation=True, max_length=self.max_length, padding=True,
            return_offsets_mapping=True, return_tensors="pt",
        )  # fmt: skip
        offsets = enc.pop("offset_mapping")
        enc.pop("token_type_ids", None)
        ids = enc["input_ids"]
        labels = ids.clone()
        labels[enc["attention_mask"] == 0] = -100
        if self.objective == "clm":
            enc["labels"] = labels
            return dict(enc)
        masked = torch.zeros_like(ids, dtype=torch.bool)
        for row, text in enumerate(texts):
            for token_rows in _word_groups(text, offsets[row].tolist()):
                if rng.random() < MASK_RATE:
                    masked[row, token_rows] = True
        labels[~masked] = -100
        roll = torch.tensor(rng.random(ids.shape), dtype=torch.float32)
        replace = masked & (roll < MASK_SPLIT[0])
        randomise = masked & (roll >= MASK_SPLIT[0]) & (roll < sum(MASK_SPLIT))
        ids = ids.clone()
        ids[replace] = self.tokenizer.mask_token_id
        random_ids = torch.tensor(rng.integers(0, len(self.tokenizer), ids.shape))
        ids[randomise] = random_ids[randomise]
        enc["input_ids"] = ids
        enc["labels"] = labels
        return dict(enc)


def _word_groups(text: str, offsets: list[list[int]]) -> list[list[int]]:
    """Token positions grouped by word (whole-word masking): jieba words for Chinese."""
    from medsage.text import token_spans

    groups: list[list[int]] = []
    for start, end in token_spans(text):
        rows = [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
        if rows:
            groups.append(rows)
    return groups


def _loss(model: Any, batches: list[dict[str, Any]], device: Any) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for batch in batches:
            n = int((batch["labels"] != -100).sum())
            if n == 0:
                continue
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
            total += float(loss) * n
            count += n
    model.train()
    return total / max(1, count)
