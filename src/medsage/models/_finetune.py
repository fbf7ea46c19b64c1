"""The fine-tuning loop: length-bucketed batches, AdamW with warm-up and linear decay,
gradient accumulation, class weights, early stopping on a dev metric, weight averaging over
epochs, resumable checkpoints.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from medsage.models._backend import Progress

if TYPE_CHECKING:
    from medsage.models._transformer import TransformerSettings

logger = logging.getLogger(__name__)

BUCKET_BATCHES = 50  # sort by length within windows of this many batches


def state_copy(network: Any) -> dict[str, Any]:
    """The network's weights and buffers, copied to the CPU."""
    return {k: v.detach().cpu().clone().contiguous() for k, v in network.state_dict().items()}


def length_bucketed_batches(
    lengths: list[int], batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffle, sort by length within windows, then shuffle the batches: little padding,
    still random order."""
    order = rng.permutation(len(lengths))
    window = batch_size * BUCKET_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _dev_score(
    network: Any, dev: tuple[list[list[int]], np.ndarray], metric: str, pad_id: int, device: Any
) -> float:
    import torch

    from medsage.models._transformer import pad_batch

    sequences, y = dev
    network.eval()
    order = np.argsort([len(s) for s in sequences], kind="stable")
    predicted = np.zeros(len(sequences), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            idx = order[start : start + 64]
            ids, mask = pad_batch([sequences[i] for i in idx], pad_id)
            predicted[idx] = network(ids.to(device), mask.to(device)).argmax(-1).cpu().numpy()
    network.train()
    if metric == "accuracy":
        return float((predicted == y).mean())
    from sklearn.metrics import f1_score

    return float(f1_score(y, predicted, average="macro"))


def finetune(
    network: Any,
    sequences: list[list[int]],
    y: np.ndarray,
    n_classes: int,
    settings: TransformerSettings,
    *,
    seed: int,
    pad_id: int,
    dev: tuple[list[list[int]], np.ndarray] | None,
    device: Any,
    progress: Progress | None,
) -> list[dict[str, float]]:
    """Train `network` in place; returns the per-epoch history (loss, dev score).

    With `dev`, the weights of the best epoch are restored at the end and training stops after
    `settings.patience` epochs without improvement. With `settings.average_from_epoch`, the
    mean of the epoch-end weights from that epoch on replaces them when it scores at least as
    well on `dev` (always, without `dev`); the history then ends with a record of it.
    """
    import torch

    from medsage.models._transformer import pad_batch

    report = progress or (lambda _m: None)
    torch.manual_seed(seed)
    network.to(device).train()
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {
            "params": [p for n, p in network.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": settings.weight_decay,
        },
        {
            "params": [p for n, p in network.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=settings.learning_rate)
    steps_per_epoch = math.ceil(
        math.ceil(len(sequences) / settings.batch_size) / settings.grad_accumulation
    )
    total_steps = max(1, steps_per_epoch * settings.epochs)
    warmup = int(total_steps * settings.warmup_ratio)

    def schedule(step: int) -> float:  # linear warm-up, then linear decay to zero
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    weight = None
    if settings.class_weight == "balanced":
        counts = np.bincount(y, minlength=n_classes).astype(np.float64)
        weight = torch.tensor(len(y) / (n_classes * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device))
    lengths = [len(s) for s in sequences]
    history: list[dict[str, float]] = []
    best_score, best_state, stale, start_epoch = -1.0, None, 0, 0
    average = WeightAverage()
    checkpoint = Path(settings.checkpoint_dir) if settings.checkpoint_dir else None
    if checkpoint is not None and (checkpoint / "state.json").is_file():
        start_epoch, history, best_score = _resume(checkpoint, network, optimizer, scheduler)
        average = WeightAverage.read(checkpoint)
        report(f"resumed from {checkpoint} after epoch {start_epoch}")
    started = time.perf_counter()
    done_steps, planned = 0, total_steps - start_epoch * steps_per_epoch
    for epoch in range(start_epoch, settings.epochs):
        rng = np.random.default_rng(seed + epoch)
        batches = length_bucketed_batches(lengths, settings.batch_size, rng)
        running, seen = 0.0, 0
        optimizer.zero_grad()
        for i, idx in enumerate(batches, start=1):
            ids, mask = pad_batch([sequences[j] for j in idx], pad_id)
            target = torch.tensor(y[idx], dtype=torch.long, device=device)
            loss = loss_fn(network(ids.to(device), mask.to(device)), target)
            (loss / settings.grad_accumulation).backward()
            running += loss.detach().item() * len(idx)
            seen += len(idx)
            if i % settings.grad_accumulation == 0 or i == len(batches):
                torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                done_steps += 1
                if done_steps % 10 == 0 or i == len(batches):
                    elapsed = time.perf_counter() - started
                    eta = elapsed / done_steps * max(0, planned - done_steps)
                    report(
                        f"epoch {epoch + 1}/{settings.epochs} batch {i}/{len(batches)} "
                        f"loss {running / seen:.4f} ETA {eta:.0f}s"
                    )
        record = {"epoch": float(epoch + 1), "train_loss": running / max(1, seen)}
        if dev is not None:
            score = _dev_score(network, dev, settings.dev_metric, pad_id, device)
            record[f"dev_{settings.dev_metric}"] = score
            if score > best_score:
                best_score, stale = score, 0
                best_state = state_copy(network)
            else:
                stale += 1
        history.append(record)
        logger.info("epoch %d: %s", epoch + 1, record)
        if settings.average_from_epoch and epoch + 1 >= settings.average_from_epoch:
            average.add(network)
        if checkpoint is not None:
            _save_checkpoint(
                checkpoint, network, optimizer, scheduler, epoch + 1, history, best_score
            )
            average.write(checkpoint)
        if dev is not None and stale >= settings.patience:
            report(f"early stop after epoch {epoch + 1}: no dev improvement for {stale} epochs")
            break
    if average.count:
        record = {"epoch": history[-1]["epoch"], "averaged_epochs": float(average.count)}
        if dev is not None and best_state is None:  # resumed; no later epoch improved
            best_state = state_copy(network)
        network.load_state_dict(average.state)
        if dev is not None:
            score = _dev_score(network, dev, settings.dev_metric, pad_id, device)
            record[f"dev_{settings.dev_metric}"] = score
            record["average_kept"] = float(score >= best_score)
            if score < best_score:
                network.load_state_dict(best_state)
            report(f"weight average of {average.count} epochs: dev {score:.4f}")
        history.append(record)
    elif best_state is not None:
        network.load_state_dict(best_state)
    return history


class WeightAverage:
    """Running mean of a network's floating-point weights (integer buffers: the latest)."""

    FILE = "average.safetensors"

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.count = 0

    def add(self, network: Any) -> None:
        self.count += 1
        for name, value in network.state_dict().items():
            value = value.detach().cpu()
            if self.count == 1 or not value.is_floating_point():
                self.state[name] = value.clone()
            else:
                self.state[name] += (value - self.state[name]) / self.count

    def write(self, folder: Path) -> None:
        from safetensors.torch import save_file

        if self.count:
            tensors = {k: v.contiguous() for k, v in self.state.items()}
            save_file(tensors, str(folder / self.FILE), metadata={"count": str(self.count)})

    @classmethod
    def read(cls, folder: Path) -> WeightAverage:
        from safetensors import safe_open

        average = cls()
        path = folder / cls.FILE
        if path.is_file():
            with safe_open(str(path), framework="pt") as f:
                average.count = int((f.metadata() or {})["count"])
                average.state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
        return average


def _save_checkpoint(
    folder: Path,
    network: Any,
    optimizer: Any,
    scheduler: Any,
    epoch: int,
    history: list[dict[str, float]],
    best_score: float,
) -> None:
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
    save_file(state, str(folder / "network.safetensors"))
    # Optimizer state is tensors and numbers only; it is read back with weights_only=True.
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
        folder / "optimizer.pt",
    )
    (folder / "state.json").write_text(
        json.dumps({"epoch": epoch, "history": history, "best_score": best_score}),
        encoding="utf-8",
    )


def _resume(
    folder: Path, network: Any, optimizer: Any, scheduler: Any
) -> tuple[int, list[dict[str, float]], float]:
    import torch
    from safetensors.torch import load_file

    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    network.load_state_dict(load_file(str(folder / "network.safetensors")))
    saved = torch.load(folder / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return int(state["epoch"]), list(state["history"]), float(state["best_score"])
