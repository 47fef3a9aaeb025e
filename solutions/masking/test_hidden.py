"""Hidden tests for the masking assignment: the ones that grade.

Layout: one block per function, in README order. Each test checks one property, so a
submission earns partial credit for what it gets right. Failure messages stand alone (the
student never sees this file): what was checked, got vs expected, and the likely mistake.

Inputs are built here with local generators seeded by constants, never by a reference function,
so no reference output is ever sent to the student. Reference outputs (the `reference` fixture)
are only compared against.

Statistics of `mlm_mask`: the student's random draws are their own, so the result cannot be
compared with the reference. Every share is checked against its binomial expectation with a
tolerance of SIGMAS = 6 standard errors (see `_check_share`). A correct implementation fails a
6-sigma check with probability about 2e-9 (normal tail), whatever order it draws its random
numbers in, while every mistake in the catalogue (solutions/masking/NOTES.md) moves a share
by 5 percentage points or more, i.e. by more than 25 standard errors at these sample sizes.
All generators are seeded with constants, so each run of a given submission is deterministic.

Devices without a GPU (`_shapes_default_to_meta`): a tensor created without `device=` lands on
the default device, the CPU, so on a CPU-only grader the mistake would only show on a GPU. The
device tests therefore also call each function with every input and `device` on the CPU while
tensors built from a shape without `device=` go to `meta` (tensors without data): such a tensor
then fails to mix with the CPU inputs, or comes back on the wrong device, exactly as it would
on a GPU. The switch goes through the `torch` of the submission's module, as any code in the
sandbox could: best effort against a student who tampers with it, like every probe.
"""

import contextlib
import math

import torch

from autograder.testing import (
    StudentError,
    assert_close,
    assert_equal,
    instrument,
    points,
    student_raises,
)

T, F = True, False
SIGMAS = 6.0
BOOL_HINT = "a mask is a bool tensor (torch.bool), True where a query may attend"


# --------------------------------------------------------------------------------------------
# helpers (grader side only)
# --------------------------------------------------------------------------------------------

def _randn(*shape, seed, device, dtype=torch.float32, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(device, dtype)


def _random_mask(*shape, seed, device, p=0.7):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).to(device)


def _check_tensor_meta(got, *, name, dtype, device, hint=None):
    """Type, dtype and device (the values are checked elsewhere)."""
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"{name}: type: got {type(got).__name__}, expected torch.Tensor")
    if got.dtype != dtype:
        message = f"{name}: dtype: got {got.dtype}, expected {dtype}"
        raise AssertionError(message + (f". Hint: {hint}" if hint else ""))
    if got.device.type != torch.device(device).type:
        raise AssertionError(f"{name}: device: got {got.device}, expected {device}. Hint: create "
                             "new tensors on the requested device (device=...) or on the device "
                             "of the inputs")


# Constructors that build a tensor from data: on a GPU machine they give CPU tensors (a list)
# or keep the device of a tensor, so the emulation below leaves them alone.
_FROM_DATA = ("tensor", "as_tensor", "asarray", "scalar_tensor")


@contextlib.contextmanager
def _shapes_default_to_meta(student):
    """While active, in the sandbox, tensors built from a shape without `device=`
    (torch.arange, zeros, ones, full, empty, eye, rand, randn, randint, ...) go to `meta`.

    This is what a GPU run does with the roles swapped: there the inputs are on the GPU and a
    tensor created without device= lands on the CPU; here the inputs are on the CPU and such a
    tensor lands on `meta`. Either way it no longer matches the inputs. It uses torch's
    default-device mode (torch.set_default_device) minus the constructors from data, through
    the `torch` of the submission's module. Yields False (and checks nothing) when the module
    has no `torch`, or when this torch has no such mode (then the mutation proofs, whose
    device mutants would survive, say so)."""
    try:
        remote = student.torch
        remote.set_default_device("meta")
    except (AttributeError, StudentError):
        yield False
        return
    try:
        try:
            constructors = remote.utils._device._device_constructors()
            from_data = [getattr(remote, name) for name in _FROM_DATA]
        except (AttributeError, StudentError):
            yield False
            return
        for constructor in from_data:
            constructors.discard(constructor)
        try:
            yield True
        finally:
            for constructor in from_data:
                constructors.add(constructor)
    finally:
        remote.set_default_device(None)


def _on_cpu_off_the_default_device(student, name, call, *args, **kwargs):
    """student.<call>(*args, **kwargs), every input on the CPU, while tensors created without
    `device=` go elsewhere (`_shapes_default_to_meta`). Returns the result, which must be on
    the CPU; None when the check could not be set up."""
    with _shapes_default_to_meta(student) as active:
        if not active:
            return None
        try:
            result = getattr(student, call)(*args, **kwargs)
        except StudentError as err:
            raise AssertionError(
                f"{name}: got {err.type_name} ({err.message.splitlines()[0][:160]}), expected "
                "a result on the CPU. Every input and `device` of this call is on the CPU, but "
                "tensors created without device= were sent to another device (as they go to "
                "the CPU when the inputs are on a GPU): some tensor of yours is created without "
                "device=. Hint: give device=... (or device=<input>.device) to every "
                "torch.arange / zeros / ones / full / rand / randint you call") from None
    for i, t in enumerate(result if isinstance(result, (tuple, list)) else [result]):
        if isinstance(t, torch.Tensor) and t.device.type != "cpu":
            raise AssertionError(f"{name}: output {i}: device: got {t.device}, expected cpu")
    return result


def _must_raise_value_error(what, hint, call, *args, **kwargs):
    """call(*args, **kwargs) must raise ValueError; a failure names the call and the hint."""
    try:
        with student_raises("ValueError"):
            call(*args, **kwargs)
    except AssertionError as err:
        raise AssertionError(f"{what}: {err}. Hint: {hint}") from None


def _check_empty(got, name, shape):
    """A valid call at the bottom of the range: a bool tensor of `shape` with a 0 in it."""
    _check_tensor_meta(got, name=name, dtype=torch.bool, device="cpu", hint=BOOL_HINT)
    assert_equal(tuple(got.shape), shape, name=f"{name}.shape",
                 hint="a length of 0 is valid (an empty sequence); only a negative one is "
                      "rejected")


def _pair(result, name):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError(f"{name}: expected a pair of tensors, got {type(result).__name__}")
    return result


def _attention(q, k, v, mask=None, *, scale=None, after_softmax=False, invert=False,
               fill=float("-inf"), zero_empty_rows=True):
    """Attention as the reference computes it, or with one typical mistake switched on."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if mask is not None and invert:
        mask = ~mask
    if mask is not None and not after_softmax:
        scores = scores.masked_fill(~mask, fill)
    weights = scores.softmax(dim=-1)
    if mask is not None and (after_softmax or zero_empty_rows):
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def _attention_mistakes(q, k, v, mask=None, *, which):
    """{description: (output, weights)} for the mistakes named in `which`."""
    d, dv = q.shape[-1], v.shape[-1]
    every = {
        "no-scale": ("you forget the 1/sqrt(d) scaling", dict(scale=1.0)),
        "scale-d": ("you scale by 1/d instead of 1/sqrt(d)", dict(scale=1 / d)),
        "scale-dv": ("you scale by 1/sqrt(dv), the value dimension, instead of 1/sqrt(d)",
                     dict(scale=1 / math.sqrt(dv))),
        "after": ("you mask after the softmax, so the allowed weights no longer sum to 1",
                  dict(after_softmax=True)),
        "invert": ("you treat True as 'masked' (True means 'may attend')", dict(invert=True)),
        "nan": ("you fill with -inf but never zero the rows with no allowed key (softmax of a "
                "row of -inf is NaN)", dict(zero_empty_rows=False)),
        "uniform": ("you fill with a large negative number but never zero the rows with no "
                    "allowed key, so they come out uniform",
                    dict(fill=-10000.0, zero_empty_rows=False)),
    }
    return {every[w][0]: _attention(q, k, v, mask, **every[w][1]) for w in which}


def _check_attention(got, q, k, v, mask, reference, *, which, hint=None, what=""):
    output, weights = _pair(got, f"masked_attention{what}")
    exp_out, exp_w = reference.masked_attention(q, k, v, mask)
    mistakes = _attention_mistakes(q, k, v, mask, which=which)
    assert_close(weights, exp_w, name=f"weights{what}", hint=hint,
                 mistakes={m: w for m, (_, w) in mistakes.items()})
    assert_close(output, exp_out, name=f"output{what}", hint=hint,
                 mistakes={m: o for m, (o, _) in mistakes.items()})


def _window(n, window, dilation=1, *, strict=False, ignore_dilation=False, unscaled=False,
            one_sided=False):
    """Longformer windows, or one typical mistake of them."""
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    off = i - j
    span = window if unscaled else window * dilation
    close = off.abs() < span if strict else off.abs() <= span
    if one_sided:
        close = close & (off >= 0)
    return close if ignore_dilation else close & (off % dilation == 0)


def _window_mistakes(n, window, dilation=1):
    return {
        "you use < instead of <= (the window is inclusive: |i - j| <= window * dilation)":
            _window(n, window, dilation, strict=True),
        "you ignore the dilation grid ((i - j) % dilation == 0)":
            _window(n, window, dilation, ignore_dilation=True),
        "you compare |i - j| with window instead of window * dilation":
            _window(n, window, dilation, unscaled=True),
        "you keep only the left side of the window (it is two-sided: |i - j|)":
            _window(n, window, dilation, one_sided=True),
        "you treat True as 'masked' (True means 'may attend')": ~_window(n, window, dilation),
    }


def _check_share(what, count, n, p, *, likely=(), hint=None):
    """`count` of `n` independent trials should succeed with probability `p`.

    The tolerance is SIGMAS standard errors of a binomial proportion, sqrt(p (1 - p) / n)
    (see the module docstring for why 6 is sound). `likely` lists (share, description) pairs:
    when the observed share is within the same tolerance of one of them, the message names it.
    """
    if n == 0:
        raise AssertionError(f"{what}: no position was selected at all, so the share cannot be "
                             "measured (is anything selected with probability mlm_probability?)")
    share = count / n
    tol = SIGMAS * math.sqrt(p * (1 - p) / n)
    if abs(share - p) <= tol + 1e-12:
        return
    message = (f"{what}: got {share:.2%} ({count} of {n}), expected {p:.2%} ± {tol:.2%} "
               f"({SIGMAS:g} standard errors of a binomial proportion)")
    for value, description in likely:
        if abs(share - value) <= SIGMAS * math.sqrt(value * (1 - value) / n) + 1e-12:
            message += f". Your share matches what you get when {description}"
            break
    if hint:
        message += f". Hint: {hint}"
    raise AssertionError(message)


MASK_ID = 103
VOCAB = 30522


def _mlm_batch(device, *, rows=64, length=512, seed=0):
    """[CLS] w ... w [SEP] rows with ordinary ids in [1000, VOCAB): never [MASK], 101 or 102."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, VOCAB, (rows, length), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102
    special = torch.zeros(rows, length, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    return ids.to(device), special.to(device)


def _generator(device, seed):
    return torch.Generator(device=device).manual_seed(seed)


def _mlm(student, device, *, p=0.15, seed=1234, rows=64, length=512, **kwargs):
    ids, special = _mlm_batch(device, rows=rows, length=length)
    if p is not None:
        kwargs["mlm_probability"] = p
    result = student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                              special_tokens_mask=special, generator=_generator(device, seed),
                              **kwargs)
    corrupted, labels = _pair(result, "mlm_mask")
    for name, t in (("corrupted_ids", corrupted), ("labels", labels)):
        _check_tensor_meta(t, name=name, dtype=ids.dtype, device=device)
        assert_equal(tuple(t.shape), tuple(ids.shape), name=f"{name}.shape")
    return ids.cpu(), special.cpu(), corrupted.cpu(), labels.cpu()


def _split(ids, special, corrupted, labels):
    """Counts among the ordinary positions that the student's labels mark as selected."""
    selected = (labels != -100) & ~special
    return {
        "ordinary": int((~special).sum()),
        "selected": int(selected.sum()),
        "mask": int((selected & (corrupted == MASK_ID)).sum()),
        "random": int((selected & (corrupted != MASK_ID) & (corrupted != ids)).sum()),
        "kept": int((selected & (corrupted == ids)).sum()),
    }


# --------------------------------------------------------------------------------------------
# §1 padding_mask
# --------------------------------------------------------------------------------------------

@points(1)
def test_padding_mask_matches_reference_on_random_lengths(student, reference, device):
    lengths = torch.tensor([5, 1, 9, 3, 9, 0]).to(device)
    got = student.padding_mask(lengths, 9)
    positions = torch.arange(9, device=device)
    assert_equal(got, reference.padding_mask(lengths, 9), name="padding_mask(lengths, 9)",
                 mistakes={"you use <= instead of < (position t is real when t < length)":
                           positions[None, :] <= lengths[:, None],
                           "you mark the padding with True (True means 'real token')":
                           positions[None, :] >= lengths[:, None]})


@points(1)
def test_padding_mask_is_bool_on_the_device_of_lengths(student, device):
    got = student.padding_mask(torch.tensor([2, 4]).to(device), 4)
    _check_tensor_meta(got, name="padding_mask([2, 4], 4)", dtype=torch.bool, device=device,
                       hint=BOOL_HINT)
    assert_equal(tuple(got.shape), (2, 4), name="padding_mask([2, 4], 4).shape")
    name = "padding_mask(lengths on the CPU, 4)"
    got = _on_cpu_off_the_default_device(student, name, "padding_mask", torch.tensor([2, 4]), 4)
    if got is not None:
        assert_equal(got, torch.tensor([[T, T, F, F], [T, T, T, T]]), name=name)


@points(1)
def test_padding_mask_accepts_a_list_of_lengths(student):
    got = student.padding_mask([2, 0, 3], 3)
    assert_equal(got, torch.tensor([[T, T, F], [F, F, F], [T, T, T]]),
                 name="padding_mask([2, 0, 3], 3) (lengths as a list)",
                 hint="lengths may be a list of ints: convert it first (torch.as_tensor)")


@points(1)
def test_padding_mask_accepts_max_len_zero(student):
    _check_empty(student.padding_mask(torch.tensor([0, 0]), 0), "padding_mask([0, 0], 0)", (2, 0))


@points(1)
def test_padding_mask_handles_empty_and_full_sequences(student, device):
    got = student.padding_mask(torch.tensor([0, 6]).to(device), 6)
    expected = torch.tensor([[F] * 6, [T] * 6])
    assert_equal(got, expected, name="padding_mask([0, 6], 6)",
                 hint="a length of 0 gives an all-False row, a length of max_len an all-True row")


@points(1)
def test_padding_mask_rejects_lengths_outside_zero_to_max_len(student):
    with student_raises("ValueError"):
        student.padding_mask(torch.tensor([2, -1]), 4)
    with student_raises("ValueError"):
        student.padding_mask(torch.tensor([2, 5]), 4)


@points(1)
def test_padding_mask_rejects_a_negative_max_len(student):
    # An empty batch, so that only the check of max_len itself can raise.
    _must_raise_value_error("padding_mask(lengths=[], max_len=-1)",
                            "check max_len < 0 itself, not only through the lengths",
                            student.padding_mask, torch.zeros(0, dtype=torch.long), -1)


@points(1)
def test_padding_mask_rejects_lengths_that_are_not_one_dimensional(student):
    _must_raise_value_error("padding_mask(lengths of shape (2, 2), 3)",
                            "lengths must be 1-D (B,); check lengths.ndim",
                            student.padding_mask, torch.tensor([[1, 2], [3, 0]]), 3)


# --------------------------------------------------------------------------------------------
# §2 causal_mask
# --------------------------------------------------------------------------------------------

@points(1)
def test_causal_mask_matches_reference_for_several_lengths(student, reference):
    for n in (1, 2, 7, 16):
        lower = torch.ones(n, n, dtype=torch.bool).tril()
        assert_equal(student.causal_mask(n), reference.causal_mask(n), name=f"causal_mask({n})",
                     mistakes={"you keep keys j >= i, the transpose (use j <= i: tril, not triu)":
                               lower.T,
                               "you exclude the diagonal (j < i): a query may attend to itself":
                               lower.tril(-1),
                               "you treat True as 'masked' (True means 'may attend')": ~lower})


@points(1)
def test_causal_mask_is_bool_on_the_requested_device(student, device):
    got = student.causal_mask(5, device=device)
    _check_tensor_meta(got, name="causal_mask(5, device)", dtype=torch.bool, device=device,
                       hint=BOOL_HINT)
    assert_equal(got.cpu(), torch.ones(5, 5, dtype=torch.bool).tril(), name="causal_mask(5)")
    name = 'causal_mask(5, device="cpu")'
    got = _on_cpu_off_the_default_device(student, name, "causal_mask", 5, device="cpu")
    if got is not None:
        assert_equal(got, torch.ones(5, 5, dtype=torch.bool).tril(), name=name)


@points(1)
def test_causal_mask_of_length_zero_is_empty(student):
    got = student.causal_mask(0)
    _check_tensor_meta(got, name="causal_mask(0)", dtype=torch.bool, device="cpu",
                       hint=BOOL_HINT)
    assert_equal(tuple(got.shape), (0, 0), name="causal_mask(0).shape")


@points(1)
def test_causal_mask_rejects_a_negative_length(student):
    with student_raises("ValueError"):
        student.causal_mask(-1)


# --------------------------------------------------------------------------------------------
# §3 key_mask (HW5 §3.4)
# --------------------------------------------------------------------------------------------

@points(1)
def test_key_mask_matches_reference(student, reference):
    for n, positions in ((6, [0, 4]), (5, [2]), (8, [7, 1, 1])):
        expected = reference.key_mask(n, positions)
        assert_equal(student.key_mask(n, positions), expected, name=f"key_mask({n}, {positions})",
                     mistakes={"you mask rows (queries) instead of columns (keys)": expected.T,
                               "you treat True as 'masked' (True means 'may attend')":
                               ~expected})


@points(1)
def test_key_mask_without_positions_allows_everything(student):
    assert_equal(student.key_mask(4, []), torch.ones(4, 4, dtype=torch.bool),
                 name="key_mask(4, [])", hint="an empty list hides nothing")


@points(1)
def test_key_mask_accepts_a_tensor_of_positions(student, reference):
    positions = torch.tensor([3, 0])
    assert_equal(student.key_mask(5, positions), reference.key_mask(5, positions),
                 name="key_mask(5, torch.tensor([3, 0]))",
                 hint="masked_positions may be a list of ints or a 1-D integer tensor")


@points(1)
def test_key_mask_is_bool_on_the_requested_device(student, device):
    got = student.key_mask(4, [1], device=device)
    _check_tensor_meta(got, name="key_mask(4, [1], device)", dtype=torch.bool, device=device,
                       hint=BOOL_HINT)
    assert_equal(got.cpu(), torch.tensor([[T, F, T, T]] * 4), name="key_mask(4, [1])")
    name = 'key_mask(4, [1], device="cpu")'
    got = _on_cpu_off_the_default_device(student, name, "key_mask", 4, [1], device="cpu")
    if got is not None:
        assert_equal(got, torch.tensor([[T, F, T, T]] * 4), name=name)


@points(1)
def test_key_mask_of_length_zero_is_empty(student):
    _check_empty(student.key_mask(0, []), "key_mask(0, [])", (0, 0))


@points(1)
def test_key_mask_rejects_a_negative_length(student):
    _must_raise_value_error("key_mask(-1, [])", "check seq_len < 0 first", student.key_mask,
                            -1, [])


@points(1)
def test_key_mask_checks_every_position_not_only_the_smallest_or_largest(student):
    for positions, why in (([2, -1], "its largest position, 2, is valid, but -1 is not"),
                           ([1, 4], "its smallest position, 1, is valid, but 4 is not")):
        _must_raise_value_error(f"key_mask(4, {positions}) ({why})", "check both ends, "
                                "min(positions) >= 0 and max(positions) < seq_len",
                                student.key_mask, 4, positions)


@points(1)
def test_key_mask_rejects_positions_out_of_range(student):
    with student_raises("ValueError"):
        student.key_mask(4, [4])
    with student_raises("ValueError"):
        student.key_mask(4, [-1])


# --------------------------------------------------------------------------------------------
# §4 sliding_window_mask (Longformer)
# --------------------------------------------------------------------------------------------

@points(1)
def test_sliding_window_matches_reference_without_dilation(student, reference):
    for n, w in ((8, 2), (6, 1), (10, 3)):
        assert_equal(student.sliding_window_mask(n, w), reference.sliding_window_mask(n, w),
                     name=f"sliding_window_mask({n}, window={w})",
                     mistakes=_window_mistakes(n, w))


@points(2)
def test_dilated_window_matches_reference(student, reference):
    for n, w, d in ((12, 3, 2), (16, 1, 3), (9, 2, 4)):
        assert_equal(student.sliding_window_mask(n, w, dilation=d),
                     reference.sliding_window_mask(n, w, dilation=d),
                     name=f"sliding_window_mask({n}, window={w}, dilation={d})",
                     mistakes=_window_mistakes(n, w, d))


@points(1)
def test_window_zero_keeps_only_the_diagonal(student):
    assert_equal(student.sliding_window_mask(5, 0), torch.eye(5, dtype=torch.bool),
                 name="sliding_window_mask(5, window=0)",
                 hint="with window 0 a query sees only itself (|i - j| <= 0)")


@points(1)
def test_window_wider_than_the_sequence_allows_everything(student):
    assert_equal(student.sliding_window_mask(4, 10), torch.ones(4, 4, dtype=torch.bool),
                 name="sliding_window_mask(4, window=10)")


@points(1)
def test_sliding_window_is_bool_on_the_requested_device(student, device):
    got = student.sliding_window_mask(6, 1, dilation=2, device=device)
    _check_tensor_meta(got, name="sliding_window_mask(6, 1, 2, device)", dtype=torch.bool,
                       device=device, hint=BOOL_HINT)
    name = 'sliding_window_mask(6, 1, dilation=2, device="cpu")'
    got = _on_cpu_off_the_default_device(student, name, "sliding_window_mask", 6, 1,
                                         dilation=2, device="cpu")
    if got is not None:
        assert_equal(got, _window(6, 1, 2), name=name)


@points(1)
def test_sliding_window_of_length_zero_is_empty(student):
    _check_empty(student.sliding_window_mask(0, 2), "sliding_window_mask(0, 2)", (0, 0))


@points(1)
def test_sliding_window_rejects_a_negative_length(student):
    _must_raise_value_error("sliding_window_mask(-1, 1)", "check seq_len < 0 first",
                            student.sliding_window_mask, -1, 1)


@points(1)
def test_sliding_window_rejects_negative_window_and_zero_dilation(student):
    with student_raises("ValueError"):
        student.sliding_window_mask(5, -1)
    with student_raises("ValueError"):
        student.sliding_window_mask(5, 1, dilation=0)


# --------------------------------------------------------------------------------------------
# §5 masked_attention
# --------------------------------------------------------------------------------------------

@points(2)
def test_attention_without_mask_matches_reference(student, reference, device):
    q = _randn(2, 5, 8, seed=10, device=device)
    k = _randn(2, 7, 8, seed=11, device=device)
    v = _randn(2, 7, 8, seed=12, device=device)
    _check_attention(student.masked_attention(q, k, v), q, k, v, None, reference,
                     which=("no-scale", "scale-d"), what=" (no mask)",
                     hint="P = softmax(Q Kᵀ / sqrt(d)) along the keys, O = P V")


@points(2)
def test_attention_with_causal_mask_matches_reference(student, reference, device):
    q = _randn(3, 6, 4, seed=20, device=device)
    k = _randn(3, 6, 4, seed=21, device=device)
    v = _randn(3, 6, 4, seed=22, device=device)
    mask = torch.ones(6, 6, dtype=torch.bool, device=device).tril()
    _check_attention(student.masked_attention(q, k, v, mask), q, k, v, mask, reference,
                     which=("after", "invert", "no-scale", "scale-d"), what=" (causal mask)")


@points(1)
def test_attention_weights_of_each_query_sum_to_one(student, device):
    q = _randn(4, 6, seed=30, device=device)
    k = _randn(5, 6, seed=31, device=device)
    v = _randn(5, 3, seed=32, device=device)
    mask = torch.tensor([[T, F, T, F, F], [F, T, T, T, F], [T, T, T, T, T], [F, F, F, F, T]],
                        device=device)
    _, weights = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    if not isinstance(weights, torch.Tensor):
        raise AssertionError(f"weights: type: got {type(weights).__name__}, expected a tensor")
    after = _attention(q, k, v, mask, after_softmax=True)[1].sum(-1)
    assert_close(weights.sum(-1), torch.ones(4, device=device), name="weights.sum(dim=-1)",
                 mistakes={"you mask after the softmax (mask the scores before it)": after},
                 hint="each query's weights over its allowed keys must sum to 1")


@points(2)
def test_attention_scales_by_the_query_key_dim_when_dv_differs(student, reference, device):
    q = _randn(2, 4, 16, seed=40, device=device)
    k = _randn(2, 6, 16, seed=41, device=device)
    v = _randn(2, 6, 3, seed=42, device=device)
    mask = _random_mask(4, 6, seed=43, device=device)
    mask[:, 0] = True
    _check_attention(student.masked_attention(q, k, v, mask), q, k, v, mask, reference,
                     which=("scale-dv", "no-scale", "scale-d"), what=" (d=16, dv=3)",
                     hint="the scale is 1/sqrt(d) with d = q.shape[-1]; dv only sets the "
                          "output's last dimension")


@points(2)
def test_attention_broadcasts_a_mask_over_batch_and_heads(student, reference, device):
    B, H, L, d = 2, 3, 5, 4  # batch, heads, length, head dim
    q = _randn(B, H, L, d, seed=50, device=device)
    k = _randn(B, H, L, d, seed=51, device=device)
    v = _randn(B, H, L, 6, seed=52, device=device)
    padding = torch.tensor([[T, T, T, F, F], [T, T, T, T, T]], device=device)
    for what, mask in ((" (mask (B, 1, 1, L))", padding[:, None, None, :]),
                       (" (mask (L, L))", torch.ones(L, L, dtype=torch.bool,
                                                      device=device).tril())):
        _check_attention(student.masked_attention(q, k, v, mask), q, k, v, mask, reference,
                         which=("after", "invert", "no-scale"), what=what,
                         hint="the mask broadcasts against the scores (B, H, Lq, Lk) like any "
                              "PyTorch operand")


@points(1)
def test_attention_works_with_no_and_with_three_leading_dims(student, reference, device):
    for shape in ((), (2, 2, 3)):
        q = _randn(*shape, 4, 8, seed=60, device=device)
        k = _randn(*shape, 3, 8, seed=61, device=device)
        v = _randn(*shape, 3, 5, seed=62, device=device)
        mask = _random_mask(4, 3, seed=63, device=device)
        mask[:, 1] = True
        _check_attention(student.masked_attention(q, k, v, mask), q, k, v, mask, reference,
                         which=("after", "no-scale"), what=f" (leading dims {shape})",
                         hint="use k.transpose(-2, -1), not k.T or a fixed number of dims")


@points(2)
def test_fully_masked_query_rows_get_zero_weights(student, device):
    q = _randn(2, 4, 8, seed=70, device=device)
    k = _randn(2, 5, 8, seed=71, device=device)
    v = _randn(2, 5, 3, seed=72, device=device)
    mask = torch.ones(2, 4, 5, dtype=torch.bool, device=device)
    mask[0, 1] = False
    mask[1, 3] = False
    _, weights = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    expected = _attention(q, k, v, mask)[1]
    assert_close(weights, expected, name="weights (rows [0, 1] and [1, 3] allow no key)",
                 mistakes={m: w for m, (_, w) in
                           _attention_mistakes(q, k, v, mask, which=("nan", "uniform")).items()},
                 hint="a query with no allowed key must get all-zero weights, never NaN")


@points(1)
def test_fully_masked_query_rows_get_zero_output(student, device):
    q = _randn(3, 4, seed=80, device=device)
    k = _randn(4, 4, seed=81, device=device)
    v = _randn(4, 2, seed=82, device=device) + 5.0
    mask = torch.tensor([[T, F, F, F], [F, F, F, F], [T, T, T, T]], device=device)
    output, _ = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    expected = _attention(q, k, v, mask)[0]
    assert_close(output, expected, name="output (row 1 allows no key)",
                 mistakes={m: o for m, (o, _) in
                           _attention_mistakes(q, k, v, mask, which=("nan", "uniform")).items()},
                 hint="a query with no allowed key must get an all-zero output, never NaN")


@points(1)
def test_masked_keys_get_exactly_zero_weight(student, device):
    q = _randn(6, 4, seed=90, device=device)
    k = _randn(6, 4, seed=91, device=device)
    v = _randn(6, 4, seed=92, device=device)
    mask = torch.ones(6, 6, dtype=torch.bool, device=device).tril()
    _, weights = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    if not isinstance(weights, torch.Tensor):
        raise AssertionError(f"weights: type: got {type(weights).__name__}, expected a tensor")
    assert_close(weights.cpu()[~mask.cpu()], torch.zeros(int((~mask).sum())),
                 name="weights at the masked (future) keys", atol=0.0, rtol=0.0,
                 mistakes={"you treat True as 'masked' (True means 'may attend')":
                           _attention(q, k, v, mask, invert=True)[1].cpu()[~mask.cpu()]},
                 hint="a masked key must get exactly zero weight")


@points(1)
def test_masked_keys_and_values_do_not_change_the_output(student, device):
    """HW5 §3.4: once position t is masked, k_t and v_t have no influence at all."""
    q = _randn(5, 4, seed=100, device=device)
    k = _randn(5, 4, seed=101, device=device)
    v = _randn(5, 3, seed=102, device=device)
    mask = torch.tensor([[T, T, F, T, T]] * 5, device=device)
    k2, v2 = k.clone(), v.clone()
    k2[2], v2[2] = 50.0, 1000.0
    out1, _ = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    out2, _ = _pair(student.masked_attention(q, k2, v2, mask), "masked_attention")
    assert_close(out2, out1, name="output after changing k_2 and v_2 (position 2 is masked)",
                 hint="a masked position must have no influence: exclude it before the softmax")


@points(1)
def test_attention_keeps_dtype_and_device(student, device):
    q = _randn(2, 3, 4, seed=110, device=device, dtype=torch.float64)
    k = _randn(2, 5, 4, seed=111, device=device, dtype=torch.float64)
    v = _randn(2, 5, 2, seed=112, device=device, dtype=torch.float64)
    mask = torch.ones(3, 5, dtype=torch.bool, device=device)
    output, weights = _pair(student.masked_attention(q, k, v, mask), "masked_attention")
    hint = "compute in the dtype of q (no torch.tensor(...) of float32 constants, no .float())"
    _check_tensor_meta(output, name="output", dtype=torch.float64, device=device, hint=hint)
    _check_tensor_meta(weights, name="weights", dtype=torch.float64, device=device, hint=hint)
    assert_equal(tuple(output.shape), (2, 3, 2), name="output.shape")
    assert_equal(tuple(weights.shape), (2, 3, 5), name="weights.shape")


@points(1)
def test_attention_is_stable_for_large_scores(student, reference, device):
    # Scores of several hundred: exp() of them overflows even in float64 (exp(710) = inf).
    q = _randn(4, 4, seed=120, device=device, dtype=torch.float64, scale=25.0)
    k = _randn(6, 4, seed=121, device=device, dtype=torch.float64, scale=25.0)
    v = _randn(6, 3, seed=122, device=device, dtype=torch.float64)
    mask = torch.ones(4, 6, dtype=torch.bool, device=device).tril()
    _check_attention(student.masked_attention(q, k, v, mask), q, k, v, mask, reference,
                     which=("no-scale",), what=" (scores of several hundred)",
                     hint="use torch.softmax (it subtracts the row maximum) instead of exp / sum")


# --------------------------------------------------------------------------------------------
# §6 extended_attention_mask (BERT / minBERT)
# --------------------------------------------------------------------------------------------

def _extended_mistakes(m):
    m = m.cpu().float()
    return {
        "you use +10000.0 where the mask is 0 (it must be -10000.0)":
            ((1.0 - m) * 10000.0)[:, None, None, :],
        "you return the 1/0 mask itself (expected 0.0 where it is 1, -10000.0 where it is 0)":
            m[:, None, None, :],
        "you swap the values: -10000.0 goes where the mask is 0 (padding), 0.0 where it is 1":
            (m * -10000.0)[:, None, None, :],
        "you use -inf (the BERT / minBERT convention is -10000.0)":
            (1.0 - m).masked_fill(m == 0, float("-inf"))[:, None, None, :],
    }


@points(1)
def test_extended_mask_matches_reference_on_a_padded_batch(student, reference, device):
    m = torch.tensor([[1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0, 0]],
                     device=device)
    assert_close(student.extended_attention_mask(m), reference.extended_attention_mask(m),
                 name="extended_attention_mask(m)", atol=0.0, rtol=0.0,
                 mistakes=_extended_mistakes(m))


@points(1)
def test_extended_mask_has_shape_batch_one_one_length(student):
    m = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]])
    got = student.extended_attention_mask(m)
    expected = torch.tensor([[0.0, 0.0, -10000.0, -10000.0, -10000.0],
                             [0.0, 0.0, 0.0, 0.0, -10000.0]])
    assert_close(got, expected[:, None, None, :], name="extended_attention_mask(m), m (2, 5)",
                 mistakes={"you add only one axis: (B, 1, L)": expected[:, None, :],
                           "you add the axes at the end: (B, L, 1, 1)":
                           expected[:, :, None, None],
                           "you expand to (B, 1, L, L)":
                           expected[:, None, None, :].expand(2, 1, 5, 5)},
                 hint="the result is (B, 1, 1, L): m[:, None, None, :] broadcasts over heads "
                      "and queries of the scores (B, H, Lq, Lk)")


@points(1)
def test_extended_mask_is_in_the_requested_dtype(student):
    m = torch.tensor([[1, 0, 1]])
    for dtype in (torch.float16, torch.float64, torch.bfloat16):
        got = student.extended_attention_mask(m, dtype=dtype)
        expected = torch.tensor([0.0, -10000.0, 0.0], dtype=dtype)[None, None, None, :]
        assert_close(got, expected, name=f"extended_attention_mask(m, dtype={dtype})",
                     atol=0.0, rtol=0.0,
                     hint="create the result in the `dtype` argument (the model's dtype)")


@points(1)
def test_extended_mask_accepts_bool_and_int_masks(student):
    expected = torch.tensor([[[[0.0, -10000.0, 0.0, -10000.0]]]])
    for m in (torch.tensor([[T, F, T, F]]), torch.tensor([[1, 0, 1, 0]], dtype=torch.int32)):
        assert_close(student.extended_attention_mask(m), expected,
                     name=f"extended_attention_mask({m.dtype} mask)", atol=0.0, rtol=0.0,
                     hint="a 1/0 or True/False mask: convert it (e.g. .bool() or .to(dtype)) "
                          "before doing arithmetic")


@points(1)
def test_extended_mask_stays_on_the_device_of_the_mask(student, device):
    got = student.extended_attention_mask(torch.tensor([[1, 1, 0]], device=device))
    _check_tensor_meta(got, name="extended_attention_mask(m on device)", dtype=torch.float32,
                       device=device)
    # The device alone earns nothing: the values must be right too.
    assert_close(got.cpu(), torch.tensor([[[[0.0, 0.0, -10000.0]]]]), atol=0.0, rtol=0.0,
                 name="extended_attention_mask(m on device)")
    name = "extended_attention_mask(m on the CPU)"
    got = _on_cpu_off_the_default_device(student, name, "extended_attention_mask",
                                         torch.tensor([[1, 1, 0]]))
    if got is not None:
        assert_close(got, torch.tensor([[[[0.0, 0.0, -10000.0]]]]), atol=0.0, rtol=0.0,
                     name=name)


@points(1)
def test_adding_the_extended_mask_to_scores_hides_the_padding(student, device):
    """Softmax(S + E) over keys gives the same weights as excluding the pad keys."""
    m = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], device=device)
    ext = student.extended_attention_mask(m)
    if not isinstance(ext, torch.Tensor):
        raise AssertionError(f"extended_attention_mask: got {type(ext).__name__}, expected a "
                             "tensor")
    scores = _randn(2, 2, 5, 5, seed=130, device=device)  # (B, H, Lq, Lk)
    try:
        got = (scores + ext.to(device)).softmax(dim=-1)
    except RuntimeError as err:
        raise AssertionError(f"scores (2, 2, 5, 5) + extended_attention_mask(m) of shape "
                             f"{tuple(ext.shape)} does not broadcast: {err}") from None
    expected = scores.masked_fill(~m.bool()[:, None, None, :], float("-inf")).softmax(dim=-1)
    assert_close(got, expected, name="softmax(scores + extended_attention_mask(m))",
                 hint="with E = 0.0 at real tokens and -10000.0 at padding, the padding keys get "
                      "weight exp(-10000) = 0")


@points(1)
def test_extended_mask_rejects_a_mask_that_is_not_two_dimensional(student):
    with student_raises("ValueError"):
        student.extended_attention_mask(torch.tensor([1, 1, 0]))


# --------------------------------------------------------------------------------------------
# §7 mlm_mask (BERT's 80/10/10 corruption)
# --------------------------------------------------------------------------------------------

@points(1)
def test_mlm_mask_keeps_shape_dtype_and_device(student, device):
    ids, special = _mlm_batch(device, rows=4, length=16)
    for dtype in (torch.int64, torch.int32):
        result = student.mlm_mask(ids.to(dtype), mask_token_id=MASK_ID, vocab_size=VOCAB,
                                  special_tokens_mask=special, generator=_generator(device, 5))
        for name, t in zip(("corrupted_ids", "labels"), _pair(result, "mlm_mask"), strict=True):
            _check_tensor_meta(t, name=f"{name} ({dtype} input)", dtype=dtype, device=device,
                               hint="return tensors of the dtype of input_ids")
            assert_equal(tuple(t.shape), (4, 16), name=f"{name}.shape")
    ids, special = _mlm_batch("cpu", rows=4, length=16)
    name = "mlm_mask(input_ids on the CPU, generator on the CPU)"
    result = _on_cpu_off_the_default_device(
        student, name, "mlm_mask", ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
        special_tokens_mask=special, mlm_probability=0.5, generator=_generator("cpu", 5))
    if result is not None:
        for what, t in zip(("corrupted_ids", "labels"), _pair(result, name), strict=True):
            _check_tensor_meta(t, name=f"{what} of {name}", dtype=ids.dtype, device="cpu")


@points(1)
def test_mlm_mask_with_probability_zero_changes_nothing(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=0.0, rows=8, length=64)
    assert_equal(corrupted, ids, name="corrupted_ids (mlm_probability=0)",
                 hint="with mlm_probability=0 nothing is selected, so nothing is replaced")
    assert_equal(labels, torch.full_like(ids, -100), name="labels (mlm_probability=0)",
                 mistakes={"you fill the unselected labels with 0 instead of -100":
                           torch.zeros_like(ids),
                           "you copy every id into labels (unselected positions must be -100)":
                           ids},
                 hint="labels are -100 wherever there is nothing to predict")


@points(1)
def test_mlm_mask_with_probability_one_labels_every_ordinary_token(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=1.0, rows=8, length=64)
    expected = torch.where(special, torch.full_like(ids, -100), ids)
    assert_equal(labels, expected, name="labels (mlm_probability=1)",
                 mistakes={"you take the labels from the corrupted ids (labels are the ORIGINAL "
                           "ids)": torch.where(special, -100, corrupted),
                           "you label the special tokens too (they are never selected)": ids},
                 hint="with mlm_probability=1 every ordinary position is selected")


@points(1)
def test_mlm_labels_hold_the_original_id_or_minus_100(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=0.5, rows=16, length=128)
    expected = torch.where(labels != -100, ids, -100)
    assert_equal(labels, expected, name="labels",
                 mistakes={"you take the labels from the corrupted ids (labels are the ORIGINAL "
                           "ids)": torch.where(labels != -100, corrupted, -100),
                           "you fill the unselected labels with 0 instead of -100":
                           torch.where(labels != 0, ids, 0)},
                 hint="labels[t] is the original id at a selected position and -100 elsewhere")


@points(1)
def test_mlm_only_labelled_positions_are_corrupted(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=0.3, rows=16, length=128)
    stray = (corrupted != ids) & (labels == -100)
    if bool(stray.any()):
        b, t = (int(i) for i in stray.nonzero()[0])
        raise AssertionError(
            f"corrupted_ids[{b}, {t}]: got {int(corrupted[b, t])}, expected the original "
            f"{int(ids[b, t])}: {int(stray.sum())} positions were replaced but have label -100. "
            "Hint: replace only selected positions, and give every selected position its label")


@points(2)
def test_mlm_selects_about_15_percent_by_default(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=None)
    counts = _split(ids, special, corrupted, labels)
    _check_share("share of ordinary positions selected (labels != -100), default "
                 "mlm_probability", counts["selected"], counts["ordinary"], 0.15,
                 likely=((0.15 * 0.8, "you only label the positions replaced by [MASK] (the "
                                      "random and unchanged ones are selected too)"),
                         (1.0, "you select every position")),
                 hint="select each ordinary position independently with probability 0.15: "
                      "torch.rand(shape, generator=generator) < mlm_probability")


@points(1)
def test_mlm_selection_follows_mlm_probability(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=0.4)
    counts = _split(ids, special, corrupted, labels)
    _check_share("share of ordinary positions selected with mlm_probability=0.4",
                 counts["selected"], counts["ordinary"], 0.4,
                 likely=((0.15, "you ignore mlm_probability and use 0.15"),
                         (0.6, "you select with probability 1 - mlm_probability")),
                 hint="use the mlm_probability argument")


# Among the selected positions (ordinary ids differ from [MASK]): [MASK] with 0.8 + 0.1/V (a random
# draw can hit the [MASK] id), a visibly different random id with 0.1 (V - 2)/V, and the
# original id with 0.1 + 0.1/V (a random draw can hit the original id).
_P_MASK = 0.8 + 0.1 / VOCAB
_P_RANDOM = 0.1 * (VOCAB - 2) / VOCAB
_P_KEPT = 0.1 + 0.1 / VOCAB


@points(2)
def test_mlm_replaces_80_percent_of_selected_with_mask(student, device):
    counts = _split(*_mlm(student, device, p=0.5))
    _check_share("share of selected positions replaced by [MASK]", counts["mask"],
                 counts["selected"], _P_MASK,
                 likely=((0.1, "you replace 10% with [MASK] (it is 80%)"),
                         (0.9, "you replace 90% with [MASK] (80% [MASK], 10% random, 10% kept)"),
                         (0.7, "you draw the random replacements over all selected positions, "
                               "overwriting some [MASK]s"),
                         (0.4, "you draw the random replacements (p = 0.5) without excluding "
                               "the [MASK]ed positions"),
                         (1.0, "you replace every selected position with [MASK]")),
                 hint="of the selected positions 80% become [MASK], 10% a random id, 10% stay")


@points(2)
def test_mlm_replaces_10_percent_of_selected_with_random_ids(student, device):
    counts = _split(*_mlm(student, device, p=0.5))
    _check_share("share of selected positions replaced by a random id", counts["random"],
                 counts["selected"], _P_RANDOM,
                 likely=((0.2, "you give every selected position that is not [MASK]ed a random "
                               "id (half of those 20% must stay unchanged)"),
                         (0.0, "you never replace with a random id"),
                         (0.8, "you swap the [MASK] and random shares")),
                 hint="of the selected positions 80% become [MASK], 10% a random id, 10% stay")


@points(1)
def test_mlm_keeps_10_percent_of_selected_unchanged(student, device):
    counts = _split(*_mlm(student, device, p=0.5))
    _check_share("share of selected positions left unchanged", counts["kept"],
                 counts["selected"], _P_KEPT,
                 likely=((0.0, "you replace every selected position (10% must keep their "
                               "original id, and still be labelled)"),
                         (0.2, "you keep 20% unchanged (10% random, 10% kept)")),
                 hint="of the selected positions 80% become [MASK], 10% a random id, 10% stay")


@points(1)
def test_mlm_random_ids_are_uniform_over_the_whole_vocabulary(student, device):
    # Every id is 2, [MASK] is 4, V = 6, mlm_probability = 1: each position becomes a random
    # id with probability 0.1, i.e. each of the 6 ids with probability 0.1 / 6. Ids 0, 1, 3
    # and 5 can only come from a random draw, so each should be seen n * 0.1 / 6 times.
    rows, length, vocab = 64, 512, 6
    ids = torch.full((rows, length), 2, dtype=torch.long, device=device)
    corrupted, _ = _pair(student.mlm_mask(ids, mask_token_id=4, vocab_size=vocab,
                                          mlm_probability=1.0,
                                          generator=_generator(device, 77)), "mlm_mask")
    if not isinstance(corrupted, torch.Tensor):
        raise AssertionError(f"corrupted_ids: got {type(corrupted).__name__}, expected a tensor")
    corrupted = corrupted.cpu()
    outside = (corrupted < 0) | (corrupted >= vocab)
    if bool(outside.any()):
        raise AssertionError(f"corrupted_ids: {int(outside.sum())} ids are outside [0, "
                             f"{vocab}), e.g. {int(corrupted[outside][0])}: random ids are "
                             "drawn from [0, vocab_size)")
    n = rows * length
    for value in (0, 1, 3, 5):
        _check_share(f"share of positions replaced by id {value} (vocab_size={vocab})",
                     int((corrupted == value).sum()), n, 0.1 / vocab,
                     likely=((0.0, "your random ids never take this value: draw them with "
                                   "torch.randint(vocab_size, ...), i.e. from 0 to "
                                   "vocab_size - 1 inclusive"),),
                     hint="random ids are uniform over [0, vocab_size)")


@points(1)
def test_special_tokens_are_never_selected_even_with_probability_one(student, device):
    ids, special, corrupted, labels = _mlm(student, device, p=1.0, rows=8, length=64)
    assert_equal(labels[special], torch.full((int(special.sum()),), -100),
                 name="labels at the special tokens",
                 mistakes={"you select the special tokens too (exclude special_tokens_mask)":
                           ids[special]},
                 hint="special tokens are never selected")
    assert_equal(corrupted[special], ids[special], name="corrupted_ids at the special tokens",
                 hint="special tokens are never selected, so never replaced")


@points(1)
def test_mlm_mask_is_reproducible_for_a_given_generator(student, device):
    ids, special = _mlm_batch(device, rows=8, length=64)
    runs = [student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                             special_tokens_mask=special, mlm_probability=0.3,
                             generator=_generator(device, 2024)) for _ in range(2)]
    first, second = _pair(runs[0], "mlm_mask"), _pair(runs[1], "mlm_mask")
    for i, name in enumerate(("corrupted_ids", "labels")):
        assert_equal(second[i], first[i],
                     name=f"{name} of a second call with a generator seeded the same way (vs "
                          "the first call)",
                     hint="draw every random number from `generator` (torch.rand(..., "
                          "generator=generator), torch.randint(..., generator=generator)) and "
                          "never from the global generator")


@points(1)
def test_mlm_mask_changes_with_the_generator_seed(student, device):
    ids, special = _mlm_batch(device, rows=8, length=64)
    a, b = (student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                             special_tokens_mask=special, mlm_probability=0.3,
                             generator=_generator(device, s)) for s in (1, 2))
    same = [isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
            and torch.equal(x.cpu(), y.cpu()) for x, y in zip(a, b, strict=False)]
    if same and all(same):
        raise AssertionError("mlm_mask gave the same result for generators seeded 1 and 2: use "
                             "the generator argument for every random draw (do not reseed "
                             "inside the function)")


@points(1)
def test_mlm_selection_differs_between_rows(student, device):
    ids = torch.full((32, 64), 2000, dtype=torch.long, device=device)
    _, labels = _pair(student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                                       mlm_probability=0.5, generator=_generator(device, 9)),
                      "mlm_mask")
    if not isinstance(labels, torch.Tensor):
        raise AssertionError(f"labels: got {type(labels).__name__}, expected a tensor")
    patterns = torch.unique((labels.cpu() != -100), dim=0).shape[0]
    if patterns < 2:
        raise AssertionError("every row of the batch has the same selected positions: select "
                             "each position of each row independently (draw a (B, L) tensor, "
                             "not one row)")


@points(2)
def test_mlm_mask_does_not_modify_input_ids_in_place(student, device):
    ids, special = _mlm_batch(device, rows=8, length=64)
    ids_before, special_before = ids.clone(), special.clone()
    call = instrument(student.mlm_mask, ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                      special_tokens_mask=special, mlm_probability=0.5,
                      generator=_generator(device, 11))
    result = call.result
    # Not mutating earns nothing unless the call also did its job.
    corrupted, labels = _pair(result, "mlm_mask")
    if not (isinstance(corrupted, torch.Tensor) and isinstance(labels, torch.Tensor)):
        raise AssertionError("mlm_mask: expected a pair of tensors (corrupted_ids, labels)")
    assert_equal(tuple(corrupted.shape), tuple(ids.shape), name="corrupted_ids.shape")
    assert_equal(tuple(labels.shape), tuple(ids.shape), name="labels.shape")
    assert_equal(call.args[0], ids_before, name="input_ids after your call",
                 mistakes={"you write the replacements into input_ids in place (clone it "
                           "first, or build new tensors with torch.where)": corrupted}
                 if isinstance(corrupted, torch.Tensor) else None,
                 hint="mlm_mask must never modify input_ids: the caller still needs them")
    assert_equal(call.kwargs["special_tokens_mask"], special_before,
                 name="special_tokens_mask after your call",
                 hint="mlm_mask must not modify its arguments")


@points(1)
def test_mlm_mask_without_a_generator_uses_the_global_one(student, device):
    ids, special = _mlm_batch(device, rows=8, length=64)
    result = student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB,
                              special_tokens_mask=special)
    corrupted, labels = _pair(result, "mlm_mask (generator=None)")
    _check_tensor_meta(labels, name="labels (generator=None)", dtype=ids.dtype, device=device)
    bad = (labels.cpu() != -100) & (labels.cpu() != ids.cpu())
    if bool(bad.any()):
        raise AssertionError("labels (generator=None): some labels are neither -100 nor the "
                             "original id")


@points(1)
def test_mlm_mask_accepts_a_vocabulary_of_one_id(student, device):
    ids = torch.full((16, 32), 0, dtype=torch.long, device=device)
    corrupted, labels = _pair(student.mlm_mask(ids, mask_token_id=1, vocab_size=1,
                                               mlm_probability=1.0,
                                               generator=_generator(device, 3)),
                              "mlm_mask(..., vocab_size=1)")
    _check_tensor_meta(corrupted, name="corrupted_ids (vocab_size=1)", dtype=ids.dtype,
                       device=device)
    got = corrupted.cpu()
    stray = ~((got == 1) | (got == 0))
    if bool(stray.any()):
        raise AssertionError(f"corrupted_ids (vocab_size=1): got id {int(got[stray][0])}, "
                             "expected only [MASK] (1) or 0, the one id of the vocabulary")
    assert_equal(labels.cpu(), torch.zeros(16, 32, dtype=torch.long),
                 name="labels (vocab_size=1, mlm_probability=1)",
                 hint="vocab_size = 1 is valid (random ids are all 0); only vocab_size < 1 is "
                      "rejected")


@points(1)
def test_mlm_mask_rejects_an_empty_vocabulary(student):
    _must_raise_value_error("mlm_mask(..., vocab_size=0)", "random ids are drawn from "
                            "[0, vocab_size), which is empty", student.mlm_mask,
                            torch.tensor([[5, 6, 7]]), mask_token_id=MASK_ID, vocab_size=0)


@points(1)
def test_mlm_mask_rejects_a_probability_outside_zero_to_one(student):
    ids = torch.tensor([[5, 6, 7]])
    for p in (-0.1, 1.5):
        with student_raises("ValueError"):
            student.mlm_mask(ids, mask_token_id=MASK_ID, vocab_size=VOCAB, mlm_probability=p)
