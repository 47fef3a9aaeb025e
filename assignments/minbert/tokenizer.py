"""Uncased WordPiece tokenizer for minBERT, built on the `tokenizers` library (support module).

It reads the checkpoint's vocab.txt and reproduces BERT's pipeline:
    normalise     clean control characters, lowercase, strip accents, space out CJK characters
    pre-tokenise  split on whitespace and punctuation
    WordPiece     greedy longest-match sub-words ("playing" -> "play", "##ing"); [UNK] if none
    template      [CLS] sentence [SEP], token type 0 everywhere

`BertTokenizer.from_pretrained(name)(sentences, padding=True, truncation=True,
return_tensors="pt")` returns {"input_ids", "token_type_ids", "attention_mask"} as the CS224N
kit's tokenizer does, so its data-loading code works unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from base_bert import INSTALL_HINT, resolve_checkpoint

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


class BertTokenizer:
    """BERT's uncased WordPiece tokenizer over a vocab.txt (one token per line, id = line)."""

    def __init__(self, vocab_file: str | os.PathLike[str], *, model_max_length: int = 512):
        try:
            from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
            from tokenizers.models import WordPiece
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(f"tokenizer: needs the `tokenizers` package. Fix: {INSTALL_HINT}") \
                from error
        self.vocab_file = Path(vocab_file)
        self.model_max_length = model_max_length
        vocab = WordPiece.read_file(os.fspath(vocab_file))
        missing = [t for t in SPECIAL_TOKENS if t not in vocab]
        if missing:
            raise ValueError(f"tokenizer: {vocab_file} lacks the special tokens {missing}")
        tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
        tok.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
        )
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        )
        tok.decoder = decoders.WordPiece(prefix="##")
        tok.add_special_tokens(list(SPECIAL_TOKENS))  # already in the vocab: ids unchanged
        self._tokenizer = tok
        self.vocab: dict[str, int] = vocab
        self.pad_token_id = vocab["[PAD]"]
        self.unk_token_id = vocab["[UNK]"]
        self.cls_token_id = vocab["[CLS]"]
        self.sep_token_id = vocab["[SEP]"]
        self.mask_token_id = vocab["[MASK]"]

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike[str] | None = None,
                        **kwargs: Any) -> BertTokenizer:
        """The tokenizer of a checkpoint (a known name or a directory holding vocab.txt)."""
        path = Path(name_or_path) if name_or_path is not None else None
        if path is not None and path.is_file():
            return cls(path, **kwargs)
        return cls(resolve_checkpoint(name_or_path) / "vocab.txt", **kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[str]:
        """Word pieces of one text, without [CLS]/[SEP]."""
        return self._tokenizer.encode(text, add_special_tokens=False).tokens

    def encode(self, text: str, *, add_special_tokens: bool = True,
               max_length: int | None = None) -> list[int]:
        """Token ids of one text: [CLS] pieces [SEP], cut to `max_length` (keeping [SEP])."""
        ids = self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids
        if not add_special_tokens:
            return ids if max_length is None else ids[:max_length]
        return self._truncate(ids, max_length)

    def _truncate(self, ids: list[int], max_length: int | None) -> list[int]:
        """Cut [CLS] ... [SEP] to max_length tokens, keeping the final [SEP]."""
        if max_length is None or len(ids) <= max_length:
            return ids
        return ids[: max_length - 1] + [self.sep_token_id]

    def decode(self, ids: list[int] | torch.Tensor, *, skip_special_tokens: bool = True) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def __call__(
        self,
        text: str | list[str],
        *,
        padding: bool | str = True,
        truncation: bool = True,
        max_length: int | None = None,
        return_tensors: str | None = "pt",
    ) -> dict[str, Any]:
        """Batch-encode sentences, padded on the right to the longest one.

        returns {"input_ids", "token_type_ids", "attention_mask"}: (bs, seq) long tensors
        (lists when return_tensors is None); attention_mask is 1 for tokens, 0 for padding.
        """
        texts = [text] if isinstance(text, str) else list(text)
        limit = (max_length or self.model_max_length) if truncation else None
        rows = [self._truncate(e.ids, limit) for e in self._tokenizer.encode_batch(texts)]
        if padding and padding != "do_not_pad":
            width = max_length if padding == "max_length" and max_length else \
                max((len(r) for r in rows), default=0)
            masks = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
            rows = [r + [self.pad_token_id] * (width - len(r)) for r in rows]
        else:
            masks = [[1] * len(r) for r in rows]
        types = [[0] * len(r) for r in rows]
        batch: dict[str, Any] = {"input_ids": rows, "token_type_ids": types,
                                 "attention_mask": masks}
        if return_tensors == "pt":
            batch = {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}
        elif return_tensors is not None:
            raise ValueError(f"tokenizer: return_tensors={return_tensors!r}; use 'pt' or None")
        return batch
