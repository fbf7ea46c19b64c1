"""A small chemical language model: BERT over SMILES tokens, MLM-pretrained, then fine-tuned.

Tokens come from the SMILES regular expression of Schwaller et al. (ACS Cent. Sci. 2019, 5,
1572): bracket atoms, two-letter halogens, ring-closure digits and bond symbols are single
tokens. Molecules are fed as canonical SMILES of their largest fragment. Pretraining is BERT's
masked-language modelling (Devlin et al. 2019: 15% of tokens, 80% [MASK] / 10% random / 10%
kept), time-boxed (`max_seconds`) so it stays CPU-feasible; the caller chooses the corpus and must
leave out the test molecules of any task it will evaluate. Fine-tuning adds a linear head on the
[CLS] vector (regression: MSE on standardised targets; classification: BCE), masks missing labels,
and keeps the epoch with the best validation loss.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsage.errors import EmptyInputError, InvalidInputError, ModelBundleError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import torch

SMILES_REGEX = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
)
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)
PRETRAINED_KIND = "drug.chem_lm"


def tokenize_smiles(smiles: str) -> list[str]:
    """SMILES -> tokens; raises InvalidInputError when characters fall outside the grammar."""
    tokens = SMILES_REGEX.findall(smiles)
    if "".join(tokens) != smiles:
        raise InvalidInputError(f"SMILES {smiles[:80]!r} has characters the tokenizer cannot read")
    return tokens


def canonical_smiles(smiles: Sequence[str]) -> list[str]:
    """Canonical SMILES of the largest fragment of each input ("" when RDKit cannot parse it)."""
    from rdkit import Chem

    from medsage.drug._features import parse_model_inputs

    mols, ok, _ = parse_model_inputs(smiles)
    out = [""] * len(smiles)
    for mol, i in zip(mols, ok, strict=True):
        out[i] = Chem.MolToSmiles(mol)
    return out


@dataclass(frozen=True)
class ChemLMConfig:
    """Size of the chemical LM (defaults: 4 layers, 128 hidden, 4 heads, 100 tokens).

    128 rather than 256 hidden: on 2 shared CPU cores a 256-hidden step (batch 64) took ~5 s,
    which left too few pretraining steps in a few minutes to learn anything.
    """

    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 256
    max_length: int = 100
    batch_size: int = 64
    learning_rate: float = 5e-4
    min_token_count: int = 2


class SmilesVocab:
    """Token <-> id table; tokens seen fewer than `min_count` times map to [UNK]."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, smiles: Sequence[str], min_count: int = 2) -> SmilesVocab:
        counts: Counter[str] = Counter()
        for s in smiles:
            counts.update(SMILES_REGEX.findall(s))
        kept = sorted(t for t, c in counts.items() if c >= min_count)
        return cls([*SPECIALS, *kept])

    def encode(self, smiles: str, max_length: int) -> list[int]:
        ids = [self.index.get(t, UNK) for t in SMILES_REGEX.findall(smiles)]
        return [CLS, *ids[: max_length - 2], SEP]


def _batch(encoded: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), width), PAD, dtype=torch.long)
    for i, e in enumerate(encoded):
        ids[i, : len(e)] = torch.tensor(e, dtype=torch.long)
    return ids, (ids != PAD).long()


def _bert_config(cfg: ChemLMConfig, vocab_size: int) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_length + 2,
        pad_token_id=PAD,
        type_vocab_size=1,
    )


def _mask_tokens(
    ids: torch.Tensor, vocab_size: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: 15% of real tokens are targets; 80% -> [MASK], 10% random, 10% kept."""
    import torch

    labels = ids.clone()
    special = ids < len(SPECIALS)
    chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & ~special
    labels[~chosen] = -100
    roll = torch.rand(ids.shape, generator=gen)
    masked = ids.clone()
    masked[chosen & (roll < 0.8)] = MASK
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = torch.randint(len(SPECIALS), vocab_size, ids.shape, generator=gen)[swap]
    return masked, labels


def pretrain_chem_lm(
    smiles: Sequence[str],
    out: str | Path,
    *,
    config: ChemLMConfig | None = None,
    max_seconds: float = 300.0,
    max_steps: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """MLM-pretrain a chemical LM on `smiles` (canonicalised here) and save it to `out`.

    Stops after `max_seconds` (or `max_steps`). Returns what was done: steps, epochs, last loss.
    """
    import torch
    from transformers import BertForMaskedLM

    from medsage.models._bundle import save_bundle

    cfg = config or ChemLMConfig()
    corpus = [c for c in canonical_smiles(smiles) if c]
    if not corpus:
        raise EmptyInputError("pretrain_chem_lm got no parseable SMILES")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    vocab = SmilesVocab.build(corpus, cfg.min_token_count)
    encoded = [vocab.encode(s, cfg.max_length) for s in corpus]
    model = BertForMaskedLM(_bert_config(cfg, len(vocab.tokens)))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=0.01)
    warmup = 200
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
    model.train()
    start, step, epoch, loss_value, losses = time.perf_counter(), 0, 0, math.nan, []
    done = False
    while not done:
        order = list(range(len(encoded)))
        rng.shuffle(order)
        # Batches of similar length waste less compute on padding.
        chunks = [
            order[i : i + cfg.batch_size * 50] for i in range(0, len(order), cfg.batch_size * 50)
        ]
        batches = []
        for chunk in chunks:
            chunk.sort(key=lambda i: len(encoded[i]))
            batches += [chunk[i : i + cfg.batch_size] for i in range(0, len(chunk), cfg.batch_size)]
        rng.shuffle(batches)
        for b in batches:
            ids, attn = _batch([encoded[i] for i in b])
            inputs, labels = _mask_tokens(ids, len(vocab.tokens), gen)
            loss = model(input_ids=inputs, attention_mask=attn, labels=labels).loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
            if (max_steps is not None and step >= max_steps) or (
                time.perf_counter() - start > max_seconds
            ):
                done = True
                break
        epoch += 1
    loss_value = float(sum(losses[-50:]) / len(losses[-50:]))
    info = {
        "steps": step,
        "epochs": round(step * cfg.batch_size / len(encoded), 2),
        "mlm_loss_last50": round(loss_value, 4),
        "vocab_size": len(vocab.tokens),
    }

    def write(folder: Path) -> None:
        from safetensors.torch import save_model

        save_model(model, str(folder / "model.safetensors"))
        import json

        (folder / "vocab.json").write_text(json.dumps(vocab.tokens), encoding="utf-8")

    save_bundle(
        out,
        kind=PRETRAINED_KIND,
        meta={"config": asdict(cfg), "pretraining": info},
        write_files=write,
    )
    return info


def _load_pretrained(path: str | Path) -> tuple[Any, SmilesVocab, ChemLMConfig]:
    from safetensors.torch import load_model
    from transformers import BertForMaskedLM

    from medsage.models._bundle import load_json_table, read_manifest

    folder = Path(path)
    meta = read_manifest(folder, expected_kind=PRETRAINED_KIND)
    try:
        cfg = ChemLMConfig(**meta["config"])
    except TypeError as exc:
        raise ModelBundleError(f"{folder} has a bad chemical-LM config ({exc})") from None
    vocab = SmilesVocab(load_json_table(folder / "vocab.json"))
    model = BertForMaskedLM(_bert_config(cfg, len(vocab.tokens)))
    load_model(model, str(folder / "model.safetensors"))
    return model, vocab, cfg


class ChemLMPredictor:
    """A fine-tuned chemical LM: `predict(smiles)` -> array (n, n_tasks) of values or P(class 1)."""

    def __init__(
        self,
        encoder: Any,
        head: Any,
        vocab: SmilesVocab,
        cfg: ChemLMConfig,
        *,
        task_type: str,
        y_mean: npt.NDArray[np.float64],
        y_std: npt.NDArray[np.float64],
        epochs_run: int,
    ) -> None:
        self.encoder, self.head, self.vocab, self.cfg = encoder, head, vocab, cfg
        self.task_type, self.y_mean, self.y_std = task_type, y_mean, y_std
        self.epochs_run = epochs_run

    def _forward(self, smiles: Sequence[str]) -> torch.Tensor:
        ids, attn = _batch([self.vocab.encode(s, self.cfg.max_length) for s in smiles])
        hidden = self.encoder(input_ids=ids, attention_mask=attn).last_hidden_state[:, 0]
        out: torch.Tensor = self.head(hidden)
        return out

    def predict(self, smiles: Sequence[str], batch_size: int = 128) -> npt.NDArray[np.float64]:
        import numpy as np
        import torch

        canon = canonical_smiles(smiles)
        out = np.full((len(smiles), self.y_mean.shape[0]), np.nan)
        ok = [i for i, c in enumerate(canon) if c]
        self.encoder.eval()
        self.head.eval()
        with torch.no_grad():
            for s in range(0, len(ok), batch_size):
                idx = ok[s : s + batch_size]
                z = self._forward([canon[i] for i in idx]).double().numpy()
                if self.task_type == "regression":
                    out[idx] = z * self.y_std + self.y_mean
                else:
                    out[idx] = 1.0 / (1.0 + np.exp(-z))
        return out


def finetune_chem_lm(
    pretrained: str | Path,
    smiles: Sequence[str],
    y: npt.NDArray[np.float64],
    *,
    val_smiles: Sequence[str],
    val_y: npt.NDArray[np.float64],
    task_type: str,
    epochs: int = 30,
    max_seconds: float = 300.0,
    batch_size: int = 32,
    seed: int = 0,
    patience: int = 8,
) -> ChemLMPredictor:
    """Fine-tune the pretrained LM at `pretrained` on (`smiles`, `y`) (NaN = missing label),
    early-stopping on the validation loss; stops after `epochs` or `max_seconds`."""
    import copy

    import numpy as np
    import torch

    if task_type not in ("regression", "classification"):
        raise InvalidInputError(f"task_type must be regression or classification: {task_type!r}")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    mlm, vocab, cfg = _load_pretrained(pretrained)
    encoder = mlm.bert
    y = np.asarray(y, dtype=np.float64).reshape(len(smiles), -1)
    val_y = np.asarray(val_y, dtype=np.float64).reshape(len(val_smiles), -1)
    canon, val_canon = canonical_smiles(smiles), canonical_smiles(val_smiles)
    keep = [i for i, c in enumerate(canon) if c]
    vkeep = [i for i, c in enumerate(val_canon) if c]
    if not keep or not vkeep:
        raise EmptyInputError("finetune_chem_lm needs parseable training and validation SMILES")
    k = y.shape[1]
    if task_type == "regression":
        y_mean, y_std = np.nanmean(y, axis=0), np.nanstd(y, axis=0)
        y_std = np.where(y_std > 1e-12, y_std, 1.0)
    else:
        y_mean, y_std = np.zeros(k), np.ones(k)
    target = torch.tensor((y - y_mean) / y_std, dtype=torch.float32)
    vtarget = torch.tensor((val_y - y_mean) / y_std, dtype=torch.float32)
    head = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(cfg.hidden_size, k))
    model = ChemLMPredictor(
        encoder, head, vocab, cfg, task_type=task_type, y_mean=y_mean, y_std=y_std, epochs_run=0
    )
    opt = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": 1e-4}, {"params": head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )

    def loss_of(pred: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        mask = ~torch.isnan(t)
        t0 = torch.nan_to_num(t)
        if task_type == "regression":
            per = (pred - t0) ** 2
        else:
            per = torch.nn.functional.binary_cross_entropy_with_logits(pred, t0, reduction="none")
        return (per * mask).sum() / mask.sum().clamp(min=1)

    best, best_state, bad, start = math.inf, None, 0, time.perf_counter()
    for epoch in range(epochs):
        encoder.train()
        head.train()
        order = keep[:]
        rng.shuffle(order)
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            loss = loss_of(model._forward([canon[i] for i in idx]), target[idx])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(
                list(encoder.parameters()) + list(head.parameters()), 1.0
            )
            opt.step()
        encoder.eval()
        head.eval()
        with torch.no_grad():
            vl = sum(
                float(
                    loss_of(
                        model._forward([val_canon[i] for i in vkeep[b : b + 256]]),
                        vtarget[vkeep[b : b + 256]],
                    )
                )
                * len(vkeep[b : b + 256])
                for b in range(0, len(vkeep), 256)
            ) / len(vkeep)
        model.epochs_run = epoch + 1
        if vl < best:
            best, bad = vl, 0
            best_state = (copy.deepcopy(encoder.state_dict()), copy.deepcopy(head.state_dict()))
        else:
            bad += 1
        if bad >= patience or time.perf_counter() - start > max_seconds:
            break
    if best_state is not None:
        encoder.load_state_dict(best_state[0])
        head.load_state_dict(best_state[1])
    return model
