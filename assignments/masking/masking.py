"""Attention masking: who may look at whom, and how BERT hides the words it must predict.

Homework 5, masking part (README.md has the task; the sections are cited as §N below).

Conventions, used by every function here:

* A **bool mask** has ``True`` where a query **may attend** to a key and ``False`` where it
  must not (the convention of ``torch.nn.functional.scaled_dot_product_attention``).
* An attention mask is read as ``M[..., i, j]``: row ``i`` is query ``i``, column ``j`` is key
  ``j``. Masks for a single sequence are (L, L) and broadcast over batch and heads.
* An **additive mask** (BERT, minBERT's ``get_extended_attention_mask``) is added to the
  scores instead: 0.0 where attention is allowed, -10000.0 where it is not.

References: HW5 §3.4 (masking a position so that no query looks at k_t, v_t);
Vaswani et al. 2017, "Attention Is All You Need", eq. (1) and §3.2.3 (causal masking);
Devlin et al. 2019, "BERT", §3.1 and Appendix A.1 (padding, the 80/10/10 MLM corruption);
the CS224N/CMU minBERT project (``get_extended_attention_mask``);
Beltagy et al. 2020, "Longformer", §3.1 (sliding and dilated windows).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "padding_mask",
    "causal_mask",
    "key_mask",
    "sliding_window_mask",
    "masked_attention",
    "extended_attention_mask",
    "mlm_mask",
]


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Bool mask of the real (non-pad) tokens of a padded batch (README §1).

    Sequence b has n_b real tokens and is padded with [PAD] up to length L = max_len:

        M[b, t] = (t < n_b)        for t = 0 .. L-1

    BERT pads every sequence of a batch to the same length and passes this mask (as 1/0, the
    minBERT ``attention_mask``) so that no query ever attends to a [PAD] key (BERT §3).

    Args:
        lengths: (B,) integer tensor (a list of ints also works): the true length n_b of each
            sequence.
        max_len: the padded length L.

    Returns:
        (B, max_len) bool tensor on the device of ``lengths``, True where position < length.

    Raises:
        ValueError: if ``lengths`` is not 1-D, ``max_len`` < 0, or a length is < 0 or
            > ``max_len`` (a sequence longer than its padded size is a bug upstream).
    """
    # Step 1: the positions 0 .. max_len-1, on the same device as lengths.
    # Step 2: compare a row of positions with a column of lengths; broadcasting gives (B, L).
    raise NotImplementedError("padding_mask: see README §1")


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Bool mask that lets query i see keys 0..i only: itself and the past (README §2).

        M[i, j] = (j <= i)

    This is the decoder (GPT) mask of Vaswani et al. §3.2.3: position i must not attend to
    the words it is about to predict. It is lower-triangular, diagonal included.

    Args:
        seq_len: the sequence length L.
        device: where to create the mask (default: the CPU).

    Returns:
        (L, L) bool tensor on ``device``.

    Raises:
        ValueError: if ``seq_len`` < 0.
    """
    # Step 1: a column of query indices i and a row of key indices j.
    # Step 2: keep the keys that are not in the future of the query.
    raise NotImplementedError("causal_mask: see README §2")


def key_mask(
    seq_len: int,
    masked_positions: list[int] | torch.Tensor,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Bool mask that hides some key positions from every query (README §3, HW5 §3.4).

    HW5 §3.4 asks how to make sure that no query looks at position t, i.e. that k_t and v_t
    have no influence on any output. The answer is to mask column t in every row:

        M[i, j] = (j not in masked_positions)        for every query i

    Args:
        seq_len: the sequence length L.
        masked_positions: the key positions t to hide: a list/tuple of ints or a 1-D integer
            tensor, each in [0, L). Repeats are allowed; an empty list hides nothing.
        device: where to create the mask (default: the CPU).

    Returns:
        (L, L) bool tensor on ``device``: False in every row at the masked columns, True
        elsewhere.

    Raises:
        ValueError: if ``seq_len`` < 0 or a position is outside [0, L) (negative indices are
            not accepted: they are almost always an off-by-one upstream).
    """
    # Step 1: one flag per key: may this key be looked at?
    # Step 2: the same row for every query (mask columns, not rows).
    raise NotImplementedError("key_mask: see README §3")


def sliding_window_mask(
    seq_len: int,
    window: int,
    dilation: int = 1,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Longformer's sliding (and dilated) window (README §4, Longformer §3.1).

    Query i sees the ``window`` keys on each side of it, spaced ``dilation`` apart:

        M[i, j] = (|i - j| <= window * dilation)  and  ((i - j) mod dilation == 0)

    With dilation 1 this is a band of width 2*window + 1 around the diagonal. With dilation
    δ > 1 the same 2*window + 1 keys cover a span of 2*window*δ + 1 positions, with gaps of
    δ - 1 between them: the receptive field grows at no extra cost.

    Args:
        seq_len: the sequence length L.
        window: how many keys on each side (w >= 0; w = 0 keeps only the diagonal).
        dilation: the spacing δ >= 1 between the keys of the window.
        device: where to create the mask (default: the CPU).

    Returns:
        (L, L) bool tensor on ``device``.

    Raises:
        ValueError: if ``seq_len`` < 0, ``window`` < 0 or ``dilation`` < 1.
    """
    # Step 1: the signed offset i - j between every query and every key.
    # Step 2: close enough (both sides, inclusive) AND on the dilation grid.
    raise NotImplementedError("sliding_window_mask: see README §4")


def masked_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention with a bool mask (README §5, Vaswani et al. eq. (1)).

    With Q (..., Lq, d), K (..., Lk, d), V (..., Lk, dv) and a bool mask M that broadcasts
    to (..., Lq, Lk):

        S = Q Kᵀ / √d                                  (..., Lq, Lk)
        S_ij = -∞ where M_ij is False                  excluded BEFORE the softmax
        P_i = softmax(S_i)  over the keys j,           and P_i = 0 if row i allows no key
        O = P V                                        (..., Lq, dv)

    The scale uses d, the query/key dimension, never dv. A query row with no allowed key
    (e.g. a padded query that is also masked causally) gets all-zero weights and an all-zero
    output instead of the NaN that softmax of a row of -∞ gives.

    Leading dimensions (batch, heads, ...) broadcast like ``torch.matmul``. There is no
    validation beyond PyTorch's: mismatched shapes raise PyTorch's RuntimeError. ``mask``
    must be a bool tensor (True = may attend); None means every key is allowed.

    Returns:
        (output, weights): output (..., Lq, dv) and weights P (..., Lq, Lk), both in the
        dtype and on the device of q.
    """
    # Step 1: the scaled scores of every query against every key.
    # Step 2: exclude the masked keys BEFORE the softmax, so the allowed ones sum to 1.
    # Step 3: a row with no allowed key is all -inf, and softmax gives NaN there: zero it.
    # Hint: zeroing every masked entry also zeroes such rows, since all their entries are masked.
    # Step 4: mix the values.
    raise NotImplementedError("masked_attention: see README §5")


def extended_attention_mask(
    attention_mask: torch.Tensor,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """BERT's additive ("extended") attention mask, as in minBERT (README §6).

    From the (B, L) padding mask m (1 or True = real token, 0 or False = [PAD]):

        E[b, 0, 0, j] = 0.0        if m[b, j] is 1
                      = -10000.0   if m[b, j] is 0

    E is added to the scores S (B, H, Lq, Lk) before the softmax, so its shape (B, 1, 1, L)
    broadcasts over heads and queries. exp(-10000) underflows to 0, so pad keys get no
    weight (the original BERT code and minBERT's ``get_extended_attention_mask``).

    Args:
        attention_mask: (B, L) tensor of 1/0 (any integer dtype) or True/False.
        dtype: the dtype of the result (the model's dtype, e.g. torch.float16).

    Returns:
        (B, 1, 1, L) tensor of ``dtype`` on the device of ``attention_mask``.

    Raises:
        ValueError: if ``attention_mask`` is not 2-D.
    """
    # Step 1: add the head and query axes: (B, L) -> (B, 1, 1, L).
    # Step 2: 0.0 where the key is real, -10000.0 where it is padding, in the model's dtype.
    raise NotImplementedError("extended_attention_mask: see README §6")


def mlm_mask(
    input_ids: torch.Tensor,
    *,
    mask_token_id: int,
    vocab_size: int,
    special_tokens_mask: torch.Tensor | None = None,
    mlm_probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-language-model corruption (README §7, BERT §3.1 and Appendix A.1).

    For every position t that is not a special token ([CLS], [SEP], [PAD], ...):

        selected_t ~ Bernoulli(p)            p = mlm_probability, independently per position

    and every selected position, independently again, becomes

        x̃_t = [MASK]                        with probability 0.8
              a uniform random id in [0, V)  with probability 0.1
              x_t (unchanged)                with probability 0.1

    The labels are what the model must predict, with -100 (the ``ignore_index`` of
    ``torch.nn.CrossEntropyLoss``) where there is nothing to predict:

        labels_t = x_t   if selected_t,   -100 otherwise

    Args:
        input_ids: (B, L) integer tensor of token ids. Never modified in place.
        mask_token_id: the id of [MASK].
        vocab_size: V; random replacements are drawn uniformly from [0, V).
        special_tokens_mask: optional (B, L) bool tensor, True at special tokens, which are
            never selected.
        mlm_probability: p, the probability of selecting each ordinary position.
        generator: the source of randomness (on the device of input_ids); the same generator
            state gives the same result. None uses PyTorch's global generator.

    Returns:
        (corrupted_ids, labels): two new (B, L) tensors with the dtype and device of input_ids.

    Raises:
        ValueError: if ``mlm_probability`` is outside [0, 1] or ``vocab_size`` < 1.
    """
    # Step 1: select each ordinary position independently with probability p.
    # Step 2: one more uniform draw per position splits the selected ones 80/10/10.
    # Step 3: build NEW tensors (torch.where), never write into input_ids.
    # Hint: -100 is the ignore_index of torch.nn.CrossEntropyLoss.
    raise NotImplementedError("mlm_mask: see README §7")
