"""The checks test authors use: layered, with messages that say what, where and why."""

from __future__ import annotations

import pytest
import torch

from autograder.testing import assert_close, assert_equal, instrument, points


def message(got, expected, **kwargs):  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError) as err:
        assert_close(got, expected, **kwargs)
    return str(err.value)


def test_type_is_checked_before_shape_dtype_and_values():
    assert message([1.0], torch.ones(1), name="out") == (
        "out: type: got list, expected torch.Tensor")
    assert message(torch.ones(2, 3), torch.ones(3, 2), name="out") == (
        "out: shape: got (2, 3), expected (3, 2)")
    assert message(torch.ones(2, dtype=torch.float64), torch.ones(2), name="out") == (
        "out: dtype: got torch.float64, expected torch.float32")


def test_value_mismatch_names_the_worst_element_and_the_tolerance():
    expected = torch.tensor([[0.1, 0.2], [0.3, 0.377]])
    got = expected.clone()
    got[1, 1] = 0.412
    text = message(got, expected, name="weights")
    assert text.startswith("weights[1, 1]: got 0.412, expected 0.377 (max abs err 3.50e-02")
    assert "atol 1e-05" in text and "1 of 4 elements differ" in text


def test_a_recognised_mistake_is_named_and_hints_are_added():
    expected = torch.tensor([0.5, 0.5, 0.0])
    after_softmax = torch.tensor([0.33, 0.33, 0.0])
    text = message(after_softmax, expected, name="w",
                   mistakes={"you mask after the softmax": after_softmax,
                             "you forget the scaling": torch.zeros(3)},
                   hint="see README §5")
    assert "Your result matches what you get when you mask after the softmax" in text
    assert "forget the scaling" not in text and text.endswith("Hint: see README §5")


def test_nan_where_a_number_was_expected_is_reported_as_such():
    text = message(torch.tensor([0.0, float("nan")]), torch.tensor([0.0, 0.0]), name="out")
    assert text.startswith("out[1]: got nan, expected 0") and "NaN" in text


def test_bool_masks_compare_exactly_and_say_which_entry_differs():
    expected = torch.tril(torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(AssertionError, match=r"mask\[0, 1\]: got True, expected False"):
        assert_equal(expected.t().contiguous(), expected, name="mask")


def test_nested_tuples_dicts_and_numbers_are_compared_item_by_item():
    assert_close((torch.ones(2), {"k": 1.0}), (torch.ones(2), {"k": 1.0 + 1e-12}))
    assert "out[1]['k']: got 2, expected 1" in message((torch.ones(2), {"k": 2.0}),
                                                       (torch.ones(2), {"k": 1.0}), name="out")
    assert "length: got 1 items, expected 2" in message((1,), (1, 2))


def test_points_rejects_nonsense():
    assert points(2).mark.args == (2.0,)
    for bad in (-1, float("nan"), True, "2"):
        with pytest.raises(ValueError):
            points(bad)  # type: ignore[arg-type]


def test_instrument_counts_flops_and_the_largest_tensor_of_a_local_call():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    call = instrument(torch.matmul, a, b)
    assert call.flops == 2 * 8 * 16 * 4
    assert call.max_numel == 32 and call.max_shape == (8, 4)
    assert torch.equal(call.result, a @ b) and call.probe_error is None


def test_instrument_counts_matrix_vector_and_dot_products():
    W, h = torch.randn(8, 16), torch.randn(16)
    assert instrument(torch.mv, W, h).flops == 2 * 8 * 16
    assert instrument(torch.matmul, W, h).flops == 2 * 8 * 16  # W @ h dispatches to mv
    assert instrument(torch.dot, h, h).flops == 2 * 16


def test_an_expected_infinity_is_matched_only_by_the_same_infinity() -> None:
    """atol + rtol·|inf| is inf, so once any finite value passed (issue 13)."""
    import math

    import pytest
    import torch

    from autograder.testing import assert_close

    expected = torch.tensor([1.0, math.inf, -math.inf])
    assert_close(expected.clone(), expected)
    for wrong in ([1.0, 1e30, -math.inf], [1.0, math.inf, 0.0], [1.0, -math.inf, -math.inf]):
        with pytest.raises(AssertionError, match=r"\[1\]|\[2\]"):
            assert_close(torch.tensor(wrong), expected)
