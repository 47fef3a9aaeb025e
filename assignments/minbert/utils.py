"""Small tensor helpers shared by the minBERT modules (support module: do not edit).

A `bert.py` written for the CS224N / CMU minBERT kit does `from utils import *` and uses
`get_extended_attention_mask`; this module keeps that name and behaviour.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

# Added to the attention score of a padding key. exp(-10000) underflows to exactly 0 in
# float32, so a padded key gets zero weight, and the value stays finite in float16/bfloat16.
MASK_VALUE = -10000.0


def get_extended_attention_mask(attention_mask: Tensor, dtype: torch.dtype) -> Tensor:
    """Turn a (bs, seq) 0/1 padding mask into an additive (bs, 1, 1, seq) attention mask.

    mask[b, 0, 0, j] = 0 where token j is real (attention_mask = 1) and -10000 where it is
    padding (attention_mask = 0). Added to the scores QKᵀ/√d of shape (bs, heads, seq, seq),
    it broadcasts over heads and query positions, so no query attends to a padding key.
    """
    if attention_mask.dim() != 2:
        raise ValueError(
            f"get_extended_attention_mask: expected a (batch, seq) mask, "
            f"got shape {tuple(attention_mask.shape)}"
        )
    extended = attention_mask[:, None, None, :].to(dtype=dtype)  # (bs, 1, 1, seq)
    return (1.0 - extended) * MASK_VALUE


def get_parameter_dtype(module: nn.Module) -> torch.dtype:
    """The floating dtype of a module's first floating parameter (float32 if it has none)."""
    for tensor in module.parameters():
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32
