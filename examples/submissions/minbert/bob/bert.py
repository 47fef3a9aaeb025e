"""minBERT: the BERT encoder (Devlin et al., 2019), written out module by module.

You implement four functions (see README.md, "Functions to implement"):
  §1 `BertSelfAttention.attention`  scaled dot-product attention over all heads
  §2 `BertLayer.add_norm`           dropout, residual connection and LayerNorm
  §3 `BertLayer.forward`            one Transformer encoder layer
  §4 `BertModel.embed`              word + position + token-type embeddings

Shapes: bs = batch size, seq = sequence length, hidden = hidden_size,
heads = num_attention_heads, head_size = hidden / heads.
The parameter names match the CS224N / CMU minBERT kit, so base_bert.py can load a
Hugging Face BERT checkpoint into this model (see base_bert.py for the mapping).
"""

import math

import torch
import torch.nn.functional as F
from base_bert import BertPreTrainedModel
from torch import nn
from utils import get_extended_attention_mask


class BertSelfAttention(nn.Module):
    """Multi-head self-attention (Vaswani et al., 2017, §3.2.2)."""

    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size

        # Linear maps from the hidden state to the queries, keys and values of all heads.
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        # Dropout on the attention probabilities, as in the original BERT.
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def transform(self, x, linear_layer):
        """Project x with `linear_layer` and split the result into heads.

        (bs, seq, hidden) -> (bs, heads, seq, head_size)
        """
        bs, seq_len = x.shape[:2]
        proj = linear_layer(x)  # (bs, seq, all_head_size)
        proj = proj.view(bs, seq_len, self.num_attention_heads, self.attention_head_size)
        proj = proj.transpose(1, 2)  # (bs, heads, seq, head_size)
        return proj

    def attention(self, key, query, value, attention_mask):
        """Scaled dot-product attention for every head, then the heads merged back.

        NOTE THE ARGUMENT ORDER: (key, query, value), as in the CS224N kit.

        For each head, with d = head_size:
            S = Q Kᵀ / √d + M          (bs, heads, seq, seq)   M: the additive mask
            P = softmax(S)             softmax over the last dim (the keys)
            P = dropout(P)             self.dropout
            O = P V                    (bs, heads, seq, head_size)
        and the heads are concatenated back in order:
            O -> (bs, seq, heads * head_size) = (bs, seq, hidden)

        key, query, value: (bs, heads, seq, head_size)
        attention_mask: (bs, 1, 1, seq), 0 for real tokens and -10000 for padding keys
        returns: (bs, seq, hidden)
        """
        # Step 1: scores S = Q Kᵀ / √d plus the mask, shape (bs, heads, seq, seq).
        # Step 2: softmax over the keys (the last dim), then self.dropout on the probabilities.
        # Step 3: the weighted sum of the values, P V: (bs, heads, seq, head_size).
        # Step 4: merge the heads: (bs, heads, seq, head_size) -> (bs, seq, heads * head_size).
        # Hint: transpose back first, then reshape; reshaping directly would mix up the heads.
        raise NotImplementedError("BertSelfAttention.attention: see README §1")

    def forward(self, hidden_states, attention_mask):
        """hidden_states: (bs, seq, hidden); attention_mask: (bs, 1, 1, seq) -> (bs, seq, hidden)"""
        key_layer = self.transform(hidden_states, self.key)  # (bs, heads, seq, head_size)
        value_layer = self.transform(hidden_states, self.value)
        query_layer = self.transform(hidden_states, self.query)
        return self.attention(key_layer, query_layer, value_layer, attention_mask)


class BertLayer(nn.Module):
    """One encoder layer: self-attention and a feed-forward network, each in an add-norm."""

    def __init__(self, config):
        super().__init__()
        # Multi-head attention.
        self.self_attention = BertSelfAttention(config)
        # Add-norm after the attention.
        self.attention_dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.attention_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention_dropout = nn.Dropout(config.hidden_dropout_prob)
        # Feed-forward.
        self.interm_dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.interm_af = F.gelu
        # Add-norm after the feed-forward.
        self.out_dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.out_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.out_dropout = nn.Dropout(config.hidden_dropout_prob)

    def add_norm(self, input, output, dense_layer, dropout, ln_layer):
        """Post-LN residual block: LayerNorm(input + Dropout(dense_layer(output))).

        input: the sub-layer's input, (bs, seq, hidden)
        output: the sub-layer's output, (bs, seq, hidden) or (bs, seq, intermediate)
        dense_layer: maps `output` back to hidden; dropout, ln_layer: applied as in the formula
        returns: (bs, seq, hidden)
        """
        # Step 1: project the sub-layer output, then dropout (dropout is on this branch only).
        # Step 2: add the residual, then normalise (post-LN: the norm comes last).
        raise NotImplementedError("BertLayer.add_norm: see README §2")

    def forward(self, hidden_states, attention_mask):
        """One encoder layer (Vaswani et al., 2017, Figure 1, left):

            A = add_norm(h, SelfAttention(h))           attention_dense, attention_dropout,
                                                        attention_layer_norm
            F = GELU(interm_dense(A))                   (bs, seq, intermediate)
            h' = add_norm(A, F)                         out_dense, out_dropout, out_layer_norm

        hidden_states: (bs, seq, hidden); attention_mask: (bs, 1, 1, seq) -> (bs, seq, hidden)
        """
        # Step 1: multi-head self-attention, then its add-norm.
        # Step 2: feed-forward up-projection and activation.
        # Step 3: the feed-forward add-norm (out_dense projects back to hidden).
        raise NotImplementedError("BertLayer.forward: see README §3")


class BertModel(BertPreTrainedModel):
    """The BERT encoder: embeddings, a stack of BertLayers, and the [CLS] pooler.

    forward(input_ids, attention_mask) returns
        {"last_hidden_state": (bs, seq, hidden), "pooler_output": (bs, hidden)}
    """

    def __init__(self, config):
        super().__init__(config)
        self.config = config

        # Embedding layers.
        self.word_embedding = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.pos_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.tk_type_embedding = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.embed_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.embed_dropout = nn.Dropout(config.hidden_dropout_prob)
        # Position ids 0..max_len-1 as a (1, max_len) buffer: a constant, not a parameter.
        position_ids = torch.arange(config.max_position_embeddings).unsqueeze(0)
        self.register_buffer("position_ids", position_ids)

        # The encoder.
        self.bert_layers = nn.ModuleList(
            [BertLayer(config) for _ in range(config.num_hidden_layers)]
        )

        # The [CLS] pooler.
        self.pooler_dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.pooler_af = nn.Tanh()

        self.init_weights()

    def embed(self, input_ids):
        """Input embeddings:

            E = LayerNorm(W_word[x_i] + W_type[0] + W_pos[i])    then dropout

        The token type (segment) of every token is 0: we feed single sentences.
        input_ids: (bs, seq) -> (bs, seq, hidden)
        """
        bs, seq_len = input_ids.shape  # batch, length
        # Positions 0..seq-1, and the token types (all zero).
        pos_ids = self.position_ids[:, :seq_len]  # (1, seq)
        tk_type_ids = torch.zeros_like(input_ids)  # (bs, seq)
        # Step 1: look up the word, position and token-type embeddings.
        # Step 2: add them, then LayerNorm, then dropout.
        raise NotImplementedError("BertModel.embed: see README §4")

    def encode(self, hidden_states, attention_mask):
        """hidden_states: (bs, seq, hidden); attention_mask: (bs, seq), 1/0 -> (bs, seq, hidden)"""
        # (bs, seq) of 1/0 -> (bs, 1, 1, seq) of 0/-10000, in the model's dtype.
        extended_attention_mask = get_extended_attention_mask(attention_mask, self.dtype)
        for layer_module in self.bert_layers:
            hidden_states = layer_module(hidden_states, extended_attention_mask)
        return hidden_states

    def forward(self, input_ids, attention_mask):
        """input_ids, attention_mask: (bs, seq); attention_mask is 1 for tokens, 0 for padding."""
        embedding_output = self.embed(input_ids=input_ids)  # (bs, seq, hidden)
        sequence_output = self.encode(embedding_output, attention_mask=attention_mask)
        # Pooler: tanh(W h_[CLS] + b) on the first token's final hidden state.
        first_tk = sequence_output[:, 0]  # (bs, hidden)
        first_tk = self.pooler_af(self.pooler_dense(first_tk))
        return {"last_hidden_state": sequence_output, "pooler_output": first_tk}
