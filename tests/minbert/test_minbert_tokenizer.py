"""The tokenizer wrapper agrees with transformers' BertTokenizerFast on the same vocab.txt."""

from __future__ import annotations

import pytest
import torch

TEXTS = [
    "Hello, World! It's a naïve café.",
    "The Rock is destined to be the 21st Century 's new `` Conan '' .",
    "東京 straße ÉCOLE  \t tabs\u200b zero-width\x00 control",
    "unbelievablyyyyyyyyyyyyy gooooood " + "x" * 120,  # a word past 100 chars -> [UNK]
    "",
    "a [MASK] token and [SEP] inside the text",
    "emoji 🙂 and numbers 3.14159 and e-mail a.b@c.de",
]


@pytest.fixture(scope="module")
def hf_tokenizer(checkpoint_dir, transformers_module, tmp_path_factory):
    """BertTokenizerFast built from vocab.txt alone (a folder with nothing else in it)."""
    folder = tmp_path_factory.mktemp("vocab_only")
    (folder / "vocab.txt").write_bytes((checkpoint_dir / "vocab.txt").read_bytes())
    return transformers_module.BertTokenizerFast.from_pretrained(str(folder))


def test_word_pieces_match_transformers(tokenizer, hf_tokenizer):
    for text in TEXTS:
        assert tokenizer.tokenize(text) == hf_tokenizer.tokenize(text), text


@pytest.mark.parametrize("max_length", [None, 8])
def test_padded_batches_match_transformers(tokenizer, hf_tokenizer, max_length):
    ours = tokenizer(TEXTS, max_length=max_length)
    theirs = hf_tokenizer(TEXTS, padding=True, truncation=True, return_tensors="pt",
                          max_length=max_length or 512)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert torch.equal(ours[key], theirs[key]), f"{key} differs (max_length={max_length})"


def test_the_checkpoint_tokenizer_json_agrees_too(tokenizer, checkpoint_dir, transformers_module):
    """The checkpoint's own tokenizer.json (what sentence-transformers uses)."""
    hf = transformers_module.BertTokenizerFast.from_pretrained(str(checkpoint_dir))
    for text in TEXTS:
        assert tokenizer.encode(text) == hf(text)["input_ids"], text


def test_cls_sep_padding_and_decode(tokenizer):
    batch = tokenizer(["good film", "a much longer and rather boring film"])
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert ids.dtype == torch.long and ids.shape == mask.shape
    assert ids[:, 0].tolist() == [101, 101], "[CLS] first"
    assert ids[0, int(mask[0].sum()) - 1] == 102, "[SEP] last"
    assert ids[0, int(mask[0].sum()):].eq(0).all(), "[PAD] (id 0) after [SEP]"
    assert batch["token_type_ids"].eq(0).all()
    assert tokenizer.decode(ids[1]) == "a much longer and rather boring film"
    assert tokenizer.vocab_size == len(tokenizer) == 30522


def test_truncation_keeps_the_final_sep(tokenizer):
    ids = tokenizer.encode("one two three four five six seven", max_length=5)
    assert ids == [101] + tokenizer.convert_tokens_to_ids(["one", "two", "three"]) + [102]
    assert tokenizer(["word " * 600])["input_ids"].shape == (1, 512), "model_max_length cap"
    with pytest.raises(ValueError, match="return_tensors"):
        tokenizer(["x"], return_tensors="np")
