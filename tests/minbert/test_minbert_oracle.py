"""External oracle: Hugging Face transformers.BertModel agrees with our reference minBERT.

Both models read the same files (the MiniLM checkpoint, or a random small BERT whose weights
are copied across), in float32 on CPU, in eval mode. Padded batches are compared at every
position, padding included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

ATOL = 1e-5

SENTENCES = [
    "A gripping, beautifully acted film.",
    "The plot was dull and the pacing was worse; I walked out halfway through the second act.",
    "Meh.",
    "It's not bad at all -- honestly, the soundtrack alone is worth the ticket (and the popcorn).",
]


def _max_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def _hf_model(transformers_module, path, attn_implementation):
    return transformers_module.BertModel.from_pretrained(
        str(path), attn_implementation=attn_implementation
    ).eval()


@pytest.fixture(scope="module")
def hf_minilm(checkpoint_dir, transformers_module):
    """transformers.BertModel on the checkpoint, default (SDPA) attention, eval mode."""
    return _hf_model(transformers_module, checkpoint_dir, "sdpa")


def test_checkpoint_outputs_match_transformers_on_a_padded_batch(
    hf_minilm, minilm, tokenizer
):
    """transformers' default (SDPA) attention: every position, padding included."""
    hf = hf_minilm
    batch = tokenizer(SENTENCES)
    assert int((batch["attention_mask"] == 0).sum()) > 20, "the batch should contain padding"
    with torch.no_grad():
        ours = minilm(batch["input_ids"], batch["attention_mask"])
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    err = _max_err(ours["last_hidden_state"], theirs.last_hidden_state)
    assert err <= ATOL, f"last_hidden_state: max abs err {err:.2e} > atol {ATOL:g}"
    err = _max_err(ours["pooler_output"], theirs.pooler_output)
    assert err <= ATOL, f"pooler_output: max abs err {err:.2e} > atol {ATOL:g}"


def test_checkpoint_outputs_match_transformers_eager_attention(
    checkpoint_dir, transformers_module, minilm, tokenizer
):
    """transformers' eager attention (softmax written out, mask = float32 min, not -10000).

    Real tokens and the pooler agree within 1e-5. The hidden states of [PAD] tokens (which
    nothing downstream reads) have a larger norm and reach 1.3e-5 through six layers of
    different rounding, so they get 1e-4.
    """
    hf = _hf_model(transformers_module, checkpoint_dir, "eager")
    batch = tokenizer(SENTENCES)
    real = batch["attention_mask"].bool()
    with torch.no_grad():
        ours = minilm(batch["input_ids"], batch["attention_mask"])
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    diff = (ours["last_hidden_state"] - theirs.last_hidden_state).abs()
    assert float(diff[real].max()) <= ATOL, f"real tokens: max abs err {diff[real].max():.2e}"
    assert float(diff.max()) <= 1e-4, f"padding tokens: max abs err {diff.max():.2e}"
    err = _max_err(ours["pooler_output"], theirs.pooler_output)
    assert err <= ATOL, f"pooler_output: max abs err {err:.2e} > atol {ATOL:g}"


def test_checkpoint_matches_transformers_on_single_unpadded_sentences(
    hf_minilm, minilm, tokenizer
):
    hf = hf_minilm
    for sentence in SENTENCES:
        batch = tokenizer([sentence])
        with torch.no_grad():
            ours = minilm(batch["input_ids"], batch["attention_mask"])
            theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        err = _max_err(ours["last_hidden_state"], theirs.last_hidden_state)
        assert err <= ATOL, f"{sentence!r}: last_hidden_state max abs err {err:.2e}"


def test_padding_does_not_change_the_real_tokens(minilm, tokenizer):
    """The same sentence alone and padded to 40 tokens: identical on its real tokens."""
    alone = tokenizer([SENTENCES[0]])
    padded = tokenizer([SENTENCES[0]], padding="max_length", max_length=40)
    n = int(alone["attention_mask"].sum())
    assert int(padded["attention_mask"].sum()) == n and padded["input_ids"].shape[1] == 40
    with torch.no_grad():
        a = minilm(alone["input_ids"], alone["attention_mask"])
        b = minilm(padded["input_ids"], padded["attention_mask"])
    err = _max_err(a["last_hidden_state"][:, :n], b["last_hidden_state"][:, :n])
    assert err <= ATOL, f"real tokens moved by {err:.2e} when padding was added"
    err = _max_err(a["pooler_output"], b["pooler_output"])
    assert err <= ATOL, f"pooler_output moved by {err:.2e} when padding was added"


def _small_pair(transformers_module, seed):
    """A random 2-layer HF BERT and our model with its weights, both in eval mode."""
    import base_bert
    import bert
    import config

    hf_config = transformers_module.BertConfig(
        vocab_size=120, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=96, max_position_embeddings=64, attn_implementation="eager",
    )
    torch.manual_seed(seed)
    hf = transformers_module.BertModel(hf_config).eval()
    for p in hf.parameters():  # move LayerNorms and biases off their trivial init
        p.data.add_(0.05 * torch.randn_like(p))
    ours = bert.BertModel(config.BertConfig.from_dict(hf_config.to_dict())).eval()
    ours.load_hf_state_dict(hf.state_dict())
    assert isinstance(ours, base_bert.BertPreTrainedModel)
    return hf, ours


@pytest.mark.parametrize("seed", [0, 1])
def test_random_small_bert_matches_transformers_without_the_checkpoint(transformers_module, seed):
    """Mapping and maths on a random model: runs wherever transformers is installed."""
    hf, ours = _small_pair(transformers_module, seed)
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 120, (3, 17), generator=g)
    mask = torch.ones(3, 17, dtype=torch.long)
    mask[1, 11:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    with torch.no_grad():
        a = ours(ids, mask)
        b = hf(input_ids=ids, attention_mask=mask)
    err = _max_err(a["last_hidden_state"], b.last_hidden_state)
    assert err <= ATOL, f"last_hidden_state: max abs err {err:.2e}"
    err = _max_err(a["pooler_output"], b.pooler_output)
    assert err <= ATOL, f"pooler_output: max abs err {err:.2e}"


@pytest.mark.slow
def test_checkpoint_matches_transformers_on_long_toy_batches(hf_minilm, minilm, tokenizer):
    """64 training sentences plus one of 128 tokens: every position within atol."""
    import sentiment_data
    data = Path(__file__).resolve().parents[2] / "assignments" / "minbert" / "data"
    examples = sentiment_data.read_examples(data / "toy-train.txt")[:64]
    texts = [e.sentence for e in examples] + [" ".join(e.sentence for e in examples[:20])]
    batch = tokenizer(texts, max_length=128)
    assert batch["input_ids"].shape[1] == 128
    hf = hf_minilm
    with torch.no_grad():
        ours = minilm(batch["input_ids"], batch["attention_mask"])
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    err = _max_err(ours["last_hidden_state"], theirs.last_hidden_state)
    assert err <= ATOL, f"last_hidden_state: max abs err {err:.2e}"
    err = _max_err(ours["pooler_output"], theirs.pooler_output)
    assert err <= ATOL, f"pooler_output: max abs err {err:.2e}"
