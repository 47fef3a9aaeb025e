"""A correct masking solution in another style: loops, einsum, torch.where, in-place on copies.

Used by `nlpgrade prove masking` to show that the hidden tests accept every correct solution,
not only the reference's way of writing it.
"""

import torch


def padding_mask(lengths, max_len):
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or max_len < 0:
        raise ValueError("padding_mask: lengths must be 1-D and max_len >= 0")
    out = torch.zeros(len(lengths), max_len, dtype=torch.bool, device=lengths.device)
    for b, n in enumerate(lengths.tolist()):
        if not 0 <= n <= max_len:
            raise ValueError(f"padding_mask: length {n} outside [0, {max_len}]")
        out[b, :n] = True
    return out


def causal_mask(seq_len, device=None):
    if seq_len < 0:
        raise ValueError("causal_mask: negative length")
    return torch.ones(seq_len, seq_len, device=device).tril().bool()


def key_mask(seq_len, masked_positions, device=None):
    if seq_len < 0:
        raise ValueError("key_mask: negative length")
    if isinstance(masked_positions, torch.Tensor):
        masked_positions = masked_positions.flatten().tolist()
    out = torch.ones(seq_len, seq_len, dtype=torch.bool, device=device)
    for t in masked_positions:
        if not 0 <= t < seq_len:
            raise ValueError(f"key_mask: position {t} outside [0, {seq_len})")
        out[:, t] = False
    return out


def sliding_window_mask(seq_len, window, dilation=1, device=None):
    if seq_len < 0 or window < 0 or dilation < 1:
        raise ValueError("sliding_window_mask: need seq_len >= 0, window >= 0, dilation >= 1")
    out = torch.zeros(seq_len, seq_len, dtype=torch.bool, device=device)
    for offset in range(-window, window + 1):
        shift = offset * dilation
        if abs(shift) < seq_len:
            n = seq_len - abs(shift)
            out += torch.diag(torch.ones(n, dtype=torch.bool, device=device), shift)
    return out


def masked_attention(q, k, v, mask=None):
    scores = torch.einsum("...qd,...kd->...qk", q, k) * q.shape[-1] ** -0.5
    if mask is None:
        weights = torch.softmax(scores, dim=-1)
    else:
        lowest = torch.finfo(scores.dtype).min
        weights = torch.softmax(torch.where(mask, scores, lowest), dim=-1)
        weights = weights * mask  # rows with no allowed key were uniform: now all zero
    return torch.einsum("...qk,...kv->...qv", weights, v), weights


def extended_attention_mask(attention_mask, dtype=torch.float32):
    if attention_mask.dim() != 2:
        raise ValueError("extended_attention_mask: expected a (B, L) mask")
    extended = attention_mask.unsqueeze(1).unsqueeze(2).to(dtype)
    return (1.0 - extended) * -10000.0


def mlm_mask(input_ids, *, mask_token_id, vocab_size, special_tokens_mask=None,
             mlm_probability=0.15, generator=None):
    if mlm_probability < 0 or mlm_probability > 1 or vocab_size < 1:
        raise ValueError("mlm_mask: mlm_probability must be in [0, 1] and vocab_size >= 1")
    inputs = input_ids.clone()
    labels = input_ids.clone()
    probability = torch.full(inputs.shape, float(mlm_probability), device=inputs.device)
    if special_tokens_mask is not None:
        probability.masked_fill_(special_tokens_mask.bool(), 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels[~selected] = -100
    half = torch.full(inputs.shape, 0.5, device=inputs.device)
    replaced = torch.bernoulli(torch.full(inputs.shape, 0.8, device=inputs.device),
                               generator=generator).bool() & selected
    inputs[replaced] = mask_token_id
    randomized = torch.bernoulli(half, generator=generator).bool() & selected & ~replaced
    words = torch.randint(vocab_size, inputs.shape, generator=generator, device=inputs.device,
                          dtype=inputs.dtype)
    inputs[randomized] = words[randomized]
    return inputs, labels
