"""Sentiment classification with minBERT (README §6).

    logits = W · dropout(pooler_output) + b        (bs, num_labels)

pooler_output = tanh(W_p h_[CLS] + b_p) is BERT's summary of the sentence: the final hidden
state of the [CLS] token, through the pooler. The logits are unnormalised scores: the training
loop (train.py) applies F.cross_entropy, which includes the softmax.

config.option = "pretrain": BERT is frozen and only the linear head trains (a linear probe).
config.option = "finetune": every parameter trains.

Train it with `python train.py --option finetune` (see README "Running").
"""

import torch
from bert import BertModel
from config import BertConfig
from torch import nn


class BertSentimentClassifier(nn.Module):
    """BERT + dropout + a linear layer over the pooled [CLS] representation."""

    def __init__(self, config):
        super().__init__()
        self.num_labels = config.num_labels
        # The encoder: the pretrained checkpoint, or (for fast tests) a small random BERT.
        bert_config = getattr(config, "bert_config", None)
        if bert_config:
            self.bert = BertModel(BertConfig.from_dict(dict(bert_config)))
        else:
            self.bert = BertModel.from_pretrained(getattr(config, "checkpoint", None))

        # "pretrain" freezes BERT; "finetune" trains it too.
        for param in self.bert.parameters():
            if config.option == "pretrain":
                param.requires_grad = False
            elif config.option == "finetune":
                param.requires_grad = True

        # Step 1: a dropout (config.hidden_dropout_prob) and a linear head
        raise NotImplementedError("BertSentimentClassifier.__init__: see README §6")

    def forward(self, input_ids, attention_mask):
        """input_ids, attention_mask: (bs, seq) -> logits (bs, num_labels)"""
        # Step 1: run BERT; take the pooled [CLS] output, (bs, hidden).
        # Step 2: dropout, then the linear head. Return logits: no softmax here.
        raise NotImplementedError("BertSentimentClassifier.forward: see README §6")

    def predict(self, input_ids, attention_mask):
        """The most likely label of each sentence, (bs,), computed in eval mode."""
        was_training = self.training
        self.eval()
        with torch.no_grad():
            labels = self(input_ids, attention_mask).argmax(dim=-1)
        self.train(was_training)
        return labels
