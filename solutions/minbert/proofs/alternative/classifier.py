"""A second correct classifier, written as for the CMU 11-711 kit: the class is named
`BertSentClassifier`, BERT comes from the kit's hardcoded
`BertModel.from_pretrained('bert-base-uncased')` (the grader maps that name to the BERT its
tests ask for), the head is one nn.Sequential named `head`, and forward returns
log-probabilities, as CMU's nll_loss training loop expects (equivalent to logits under
F.cross_entropy).

Sentiment classification with minBERT (README §6).

    log p = log_softmax(W · dropout(pooler_output) + b)        (bs, num_labels)
"""

import torch
import torch.nn.functional as F
from bert import BertModel
from torch import nn


class BertSentClassifier(nn.Module):
    """BERT + dropout + a linear layer over the pooled [CLS] representation."""

    def __init__(self, config):
        super().__init__()
        self.num_labels = config.num_labels
        self.bert = BertModel.from_pretrained("bert-base-uncased")

        # "pretrain" freezes BERT; "finetune" trains it too.
        for param in self.bert.parameters():
            if config.option == "pretrain":
                param.requires_grad = False
            elif config.option == "finetune":
                param.requires_grad = True

        self.head = nn.Sequential(
            nn.Dropout(config.hidden_dropout_prob),
            nn.Linear(config.hidden_size, config.num_labels),
        )

    def forward(self, input_ids, attention_mask):
        """input_ids, attention_mask: (bs, seq) -> log-probabilities (bs, num_labels)"""
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask)
        return F.log_softmax(self.head(outputs["pooler_output"]), dim=-1)

    def predict(self, input_ids, attention_mask):
        """The most likely label of each sentence, (bs,), computed in eval mode."""
        was_training = self.training
        self.eval()
        with torch.no_grad():
            labels = self(input_ids, attention_mask).argmax(dim=-1)
        self.train(was_training)
        return labels
