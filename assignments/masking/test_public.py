"""Public checks for the masking assignment: run them with `nlpgrade check masking masking.py`.

These compare your functions with small examples worked out by hand (see the README). The
hidden tests that grade your submission are more thorough: other shapes, leading batch and head
dimensions, d != dv, devices, argument checks and the statistics of `mlm_mask`.
"""

import math

import torch

from autograder.testing import assert_close, assert_equal, points

T, F = True, False


@points(1)
def test_padding_mask_marks_positions_before_each_length(student):
    """README §1: True where position < length."""
    got = student.padding_mask(torch.tensor([3, 1, 0]), 4)
    expected = torch.tensor([[T, T, T, F],
                             [T, F, F, F],
                             [F, F, F, F]])
    assert_equal(got, expected, name="padding_mask([3, 1, 0], 4)",
                 hint="position t of sequence b is real when t < lengths[b] (strictly less)")


@points(1)
def test_causal_mask_allows_keys_up_to_the_query(student):
    """README §2: row i (a query) allows keys 0..i."""
    got = student.causal_mask(4)
    expected = torch.tensor([[T, F, F, F],
                             [T, T, F, F],
                             [T, T, T, F],
                             [T, T, T, T]])
    assert_equal(got, expected, name="causal_mask(4)",
                 hint="rows are queries, columns are keys, and True means 'may attend'")


@points(1)
def test_key_mask_hides_the_masked_columns_from_every_query(student):
    """README §3 (HW5 §3.4): no query may look at k_t, v_t for a masked t."""
    got = student.key_mask(4, [1, 3])
    expected = torch.tensor([[T, F, T, F]] * 4)
    assert_equal(got, expected, name="key_mask(4, [1, 3])",
                 hint="mask whole columns (keys), not rows (queries)")


@points(1)
def test_sliding_window_of_one_key_on_each_side(student):
    """README §4: |i - j| <= 1, a band of width 3."""
    got = student.sliding_window_mask(5, 1)
    expected = torch.tensor([[T, T, F, F, F],
                             [T, T, T, F, F],
                             [F, T, T, T, F],
                             [F, F, T, T, T],
                             [F, F, F, T, T]])
    assert_equal(got, expected, name="sliding_window_mask(5, window=1)",
                 hint="the window is inclusive and two-sided: |i - j| <= window")


@points(1)
def test_dilated_window_skips_every_other_key(student):
    """README §4: window 1, dilation 2 keeps j = i - 2, i, i + 2."""
    got = student.sliding_window_mask(5, 1, dilation=2)
    expected = torch.tensor([[T, F, T, F, F],
                             [F, T, F, T, F],
                             [T, F, T, F, T],
                             [F, T, F, T, F],
                             [F, F, T, F, T]])
    assert_equal(got, expected, name="sliding_window_mask(5, window=1, dilation=2)",
                 hint="keep j when |i - j| <= window * dilation and (i - j) % dilation == 0")


@points(1)
def test_equal_scores_give_uniform_weights_over_allowed_keys(student):
    """README §5: with q = 0 every score is 0, so each query spreads evenly over its keys."""
    q = torch.zeros(3, 2)
    k = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    v = torch.tensor([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    output, weights = student.masked_attention(q, k, v, torch.tensor([[T, F, F],
                                                                      [T, T, F],
                                                                      [T, T, T]]))
    expected_w = torch.tensor([[1.0, 0.0, 0.0],
                               [0.5, 0.5, 0.0],
                               [1 / 3, 1 / 3, 1 / 3]])
    assert_close(weights, expected_w, name="weights",
                 hint="exclude the masked keys before the softmax, so the allowed ones sum to 1")
    assert_close(output, torch.tensor([[1.0, 10.0], [1.5, 15.0], [2.0, 20.0]]), name="output")


@points(1)
def test_attention_scales_scores_by_one_over_sqrt_d(student):
    """README §5: scores q·k / sqrt(d), worked out by hand for d = 2."""
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    v = torch.tensor([[1.0], [0.0]])
    _, weights = student.masked_attention(q, k, v)
    a = math.exp(1 / math.sqrt(2))  # exp(score of key 0); key 1 scores 0, exp(0) = 1
    expected = torch.tensor([[a / (a + 1), 1 / (a + 1)]])
    unscaled = math.exp(1.0)
    assert_close(weights, expected, name="weights",
                 mistakes={"you forget the 1/sqrt(d) scaling":
                           torch.tensor([[unscaled / (unscaled + 1), 1 / (unscaled + 1)]])})


@points(1)
def test_a_query_with_no_allowed_key_gets_zero_weights(student):
    """README §5: a fully masked query row gives zeros, never NaN."""
    q = torch.ones(2, 4)
    k = torch.ones(3, 4)
    v = torch.ones(3, 5)
    mask = torch.tensor([[T, T, F],
                         [F, F, F]])
    output, weights = student.masked_attention(q, k, v, mask)
    assert_close(weights[1], torch.zeros(3), name="weights[1] (the fully masked row)",
                 hint="softmax of a row of -inf is NaN: set the weights of such rows to 0")
    assert_close(output[1], torch.zeros(5), name="output[1] (the fully masked row)")


@points(1)
def test_extended_mask_uses_zero_and_minus_ten_thousand(student):
    """README §6: minBERT's additive mask, shape (B, 1, 1, L)."""
    got = student.extended_attention_mask(torch.tensor([[1, 1, 0], [1, 0, 0]]))
    expected = torch.tensor([[[[0.0, 0.0, -10000.0]]],
                             [[[0.0, -10000.0, -10000.0]]]])
    assert_close(got, expected, name="extended_attention_mask([[1, 1, 0], [1, 0, 0]])",
                 hint="0.0 where the mask is 1, -10000.0 where it is 0; shape (B, 1, 1, L)")


@points(1)
def test_mlm_mask_returns_ids_and_labels_of_the_input_shape(student):
    """README §7: two (B, L) tensors of the input's dtype; labels are the id or -100."""
    input_ids = torch.randint(5, 100, (4, 32), generator=torch.Generator().manual_seed(1))
    generator = torch.Generator().manual_seed(2)
    result = student.mlm_mask(input_ids, mask_token_id=4, vocab_size=100, generator=generator)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError("mlm_mask must return a pair (corrupted_ids, labels)")
    corrupted, labels = result
    assert_equal(corrupted.shape, input_ids.shape, name="corrupted_ids.shape")
    assert_equal(labels.shape, input_ids.shape, name="labels.shape")
    assert_equal(corrupted.dtype, input_ids.dtype, name="corrupted_ids.dtype")
    assert_equal(labels.dtype, input_ids.dtype, name="labels.dtype")
    bad = (labels != -100) & (labels != input_ids)
    if bool(bad.any()):
        raise AssertionError(
            f"labels: {int(bad.sum())} positions hold neither -100 nor the original id: a "
            "label is the ORIGINAL id at a selected position, and -100 everywhere else")


@points(1)
def test_mlm_mask_never_selects_special_tokens(student):
    """README §7: even with mlm_probability = 1, [CLS] and [SEP] stay as they are."""
    input_ids = torch.tensor([[101, 7, 8, 9, 102], [101, 11, 12, 102, 0]])
    special = torch.tensor([[T, F, F, F, T], [T, F, F, T, T]])
    corrupted, labels = student.mlm_mask(input_ids, mask_token_id=103, vocab_size=1000,
                                         special_tokens_mask=special, mlm_probability=1.0,
                                         generator=torch.Generator().manual_seed(3))
    assert_equal(labels[special], torch.full((int(special.sum()),), -100),
                 name="labels at the special tokens",
                 hint="special tokens are never selected, so their label is -100")
    assert_equal(corrupted[special], input_ids[special],
                 name="corrupted_ids at the special tokens",
                 hint="special tokens are never selected, so they are never replaced")
    assert_equal(labels[~special], input_ids[~special],
                 name="labels at the ordinary tokens (mlm_probability=1 selects all of them)")
