"""The reference modules against the README's formulas, on small random models (no checkpoint)."""

from __future__ import annotations

import math

import bert
import classifier
import config
import harness
import pytest
import torch
import torch.nn.functional as F
import train
import utils

SMALL = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
             intermediate_size=32, max_position_embeddings=20)


def _cfg(**overrides):
    return config.BertConfig(**{**SMALL, **overrides})


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _written_out_attention(q, k, v, mask):
    bs, h, n, d = q.shape
    p = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d) + mask, dim=-1)
    return (p @ v).transpose(1, 2).reshape(bs, n, h * d)


def test_extended_mask_is_zero_for_tokens_and_minus_10000_for_padding():
    got = utils.get_extended_attention_mask(torch.tensor([[1, 1, 0]]), torch.float32)
    assert got.shape == (1, 1, 1, 3)
    assert got.flatten().tolist() == [0.0, 0.0, -10000.0]
    with pytest.raises(ValueError, match=r"\(batch, seq\)"):
        utils.get_extended_attention_mask(torch.ones(3), torch.float32)


def test_fused_attention_equals_the_written_out_formula_with_padding():
    att = bert.BertSelfAttention(_cfg()).eval()
    q, k, v = (_randn(3, 4, 6, 4, seed=s) for s in range(3))
    mask = utils.get_extended_attention_mask(
        torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1] + [0] * 5]), torch.float32)
    got = att.attention(k, q, v, mask)
    assert got.shape == (3, 6, 16)
    assert torch.allclose(got, _written_out_attention(q, k, v, mask), atol=1e-6)


def test_train_mode_attention_draws_one_dropout_mask_on_the_probabilities():
    att = bert.BertSelfAttention(_cfg(attention_probs_dropout_prob=0.4)).train()
    q, k, v = (_randn(2, 4, 5, 4, seed=s) for s in range(3))
    mask = torch.zeros(2, 1, 1, 5)
    got = harness.seeded_call(7, att, k, q, v, mask, method="attention")
    torch.manual_seed(7)
    p = F.dropout(torch.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1), 0.4, training=True)
    expected = (p @ v).transpose(1, 2).reshape(2, 5, 16)
    assert torch.allclose(got, expected, atol=1e-6)


def test_layer_is_two_post_ln_add_norms_around_attention_and_gelu():
    torch.manual_seed(0)
    layer = bert.BertLayer(_cfg()).eval()
    h = _randn(2, 5, 16, seed=3)
    mask = torch.zeros(2, 1, 1, 5)
    with torch.no_grad():
        a = layer.attention_layer_norm(h + layer.attention_dense(layer.self_attention(h, mask)))
        expected = layer.out_layer_norm(a + layer.out_dense(F.gelu(layer.interm_dense(a))))
        assert torch.allclose(layer(h, mask), expected, atol=1e-6)


def test_embed_is_layernorm_of_word_plus_type_plus_position():
    torch.manual_seed(0)
    model = bert.BertModel(_cfg()).eval()
    ids = torch.tensor([[3, 3, 9], [0, 5, 5]])
    with torch.no_grad():
        expected = model.embed_layer_norm(model.word_embedding.weight[ids]
                                          + model.tk_type_embedding.weight[0]
                                          + model.pos_embedding.weight[:3])
        assert torch.allclose(model.embed(ids), expected, atol=1e-6)


def test_model_outputs_and_pooler():
    torch.manual_seed(0)
    model = bert.BertModel(_cfg()).eval()
    ids = torch.tensor([[2, 7, 9, 0], [4, 1, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        out = model(ids, mask)
    assert out["last_hidden_state"].shape == (2, 4, 16) and out["pooler_output"].shape == (2, 16)
    expected = torch.tanh(model.pooler_dense(out["last_hidden_state"][:, 0]))
    assert torch.allclose(out["pooler_output"], expected, atol=1e-6)


def _classifier(option, seed=0, dropout=0.1):
    torch.manual_seed(seed)
    bert_config = dict(SMALL, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    return classifier.BertSentimentClassifier(config.ClassifierConfig(
        num_labels=3, option=option, hidden_size=16, hidden_dropout_prob=dropout,
        bert_config=bert_config))


@pytest.mark.parametrize("option", ["pretrain", "finetune"])
def test_option_decides_which_parameters_train(option):
    model = _classifier(option)
    ids = _randn(6, 5, seed=1).abs().mul(10).long().clamp(1, 39)
    change = harness.train_and_diff(model, ids, torch.ones_like(ids),
                                    torch.tensor([0, 1, 2, 0, 1, 2]))
    bert_moved = any(v > 0 for k, v in change.items() if k.startswith("bert."))
    head_moved = any(v > 0 for k, v in change.items() if not k.startswith("bert."))
    assert head_moved and bert_moved == (option == "finetune")


def test_train_steps_fit_a_tiny_set_and_predict_restores_the_mode():
    model = _classifier("finetune", dropout=0.0)
    ids = torch.tensor([[1, 5, 6, 2], [1, 7, 8, 2], [1, 5, 5, 2], [1, 8, 7, 2]])
    labels = torch.tensor([0, 1, 0, 1])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = train.train_steps(model, opt, ids, torch.ones_like(ids), labels, steps=30,
                               batch_size=4, seed=0)
    assert losses[-1] < 0.2 * losses[0], f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    model.train()
    assert train.predict(model, ids, torch.ones_like(ids)).tolist() == labels.tolist()
    assert model.training, "predict restores train mode"


def test_classifier_config_checks_its_fields():
    with pytest.raises(ValueError, match="option"):
        config.ClassifierConfig(option="frozen")
    with pytest.raises(ValueError, match="hidden_size"):
        config.ClassifierConfig(hidden_size=384, bert_config={"hidden_size": 16})


def test_the_option_is_also_the_later_cs224n_kits_fine_tune_mode():
    """A later CS224N kit's classifier.py asserts `config.fine_tune_mode in
    ["last-linear-layer", "full-model"]` and freezes BERT when it is "last-linear-layer"."""
    frozen = config.ClassifierConfig(option="pretrain")
    trained = config.ClassifierConfig(option="finetune")
    assert frozen.fine_tune_mode == "last-linear-layer"
    assert trained.fine_tune_mode == "full-model"
    assert "fine_tune_mode" not in config.asdict(frozen)  # derived, never a second setting


def test_the_option_pretrain_is_also_the_cmu_kits_freeze():
    """A CMU kit's given loop tests `config.option == 'freeze'` (docs/minbert.md, "Real
    submissions"): the option "pretrain" equals it, and is still the plain string "pretrain"."""
    frozen = config.ClassifierConfig(option="pretrain")
    assert frozen.option == "freeze" and "freeze" == frozen.option
    assert frozen.option in ("freeze", "finetune") and frozen.option != "finetune"
    assert frozen.option == "pretrain" and str(frozen.option) == "pretrain"
    assert {frozen.option: 1}["pretrain"] == 1
    trained = config.ClassifierConfig(option="finetune")
    assert trained.option != "freeze" and trained.option == "finetune"
