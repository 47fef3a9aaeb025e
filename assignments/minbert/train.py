"""Fine-tune `BertSentimentClassifier` on a `label ||| sentence` dataset (support module).

    python train.py --option finetune                     # the toy set in data/, a few minutes
    python train.py --option pretrain --lr 1e-3           # frozen BERT: only the head trains
    python train.py --train sst-train.txt --dev sst-dev.txt --test sst-test.txt --epochs 10

It uses your classifier.py (BertSentimentClassifier), bert.py (through it) and optimizer.py
(AdamW), so it is also an end-to-end check of your work: on the toy set, fine-tuning reaches
well over 90% dev accuracy (README "Running"). The loop follows the CS224N kit: cross-entropy
on the logits, AdamW, one dev evaluation per epoch, and the test score of the best dev epoch.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from config import ClassifierConfig
from sentiment_data import batches, num_labels, read_examples

HERE = Path(__file__).resolve().parent


@dataclass
class TrainConfig:
    train: str = str(HERE / "data" / "toy-train.txt")  # training file (label ||| sentence)
    dev: str = str(HERE / "data" / "toy-dev.txt")  # dev file: picks the best epoch
    test: str = str(HERE / "data" / "toy-test.txt")  # test file ("" for none)
    option: str = "finetune"  # "pretrain" (frozen BERT) or "finetune"
    epochs: int = 3  # passes over the training set
    max_steps: int = 0  # stop after this many optimizer steps (0: no limit)
    limit_train: int = 0  # train on a seeded random subset of this size (0: all)
    limit_eval: int = 0  # evaluate on seeded random subsets of dev and test of this size (0: all)
    batch_size: int = 16  # examples per optimizer step
    eval_batch_size: int = 64  # examples per forward pass when evaluating
    lr: float = 5e-5  # AdamW learning rate (CS224N: 1e-5 finetune, 1e-3 pretrain)
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    hidden_dropout_prob: float = 0.3  # dropout before the classifier head
    max_length: int = 128  # longest input in tokens, [CLS] and [SEP] included
    seed: int = 11711  # seeds random, numpy and torch, and the shuffling
    device: str = "cpu"  # "cpu" or "cuda"
    checkpoint: str = "all-MiniLM-L6-v2"  # pretrained BERT: a known name or a directory
    verbose: bool = True  # print one line per epoch


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _trim(input_ids: torch.Tensor, attention_mask: torch.Tensor):
    """Drop the trailing columns that are padding in every row (they change nothing)."""
    width = max(int(attention_mask.sum(dim=1).max()), 1)
    return input_ids[:, :width], attention_mask[:, :width]


def train_steps(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int,
    batch_size: int,
    seed: int,
    after_step: Callable[[int], None] | None = None,
) -> list[float]:
    """`steps` optimizer steps on pre-tokenised data; returns the loss of each step.

    Batches are drawn without replacement from a permutation seeded with `seed`, and a new
    permutation starts when one runs out. The model is in train mode (dropout on) throughout.
    input_ids, attention_mask: (n, seq); labels: (n,)
    after_step: called with the number of steps done after each one (e.g. to evaluate).
    """
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    order: list[int] = []
    losses = []
    model.train()
    for _ in range(steps):
        if len(order) < batch_size:
            order = torch.randperm(len(labels), generator=generator).tolist()
        idx, order = order[:batch_size], order[batch_size:]
        ids, mask = _trim(input_ids[idx], attention_mask[idx])
        logits = model(ids.to(device), mask.to(device))  # (bs, num_labels)
        loss = F.cross_entropy(logits, labels[idx].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if after_step is not None:
            after_step(len(losses))
    return losses


def train_classifier(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 16,
    lr: float = 1e-4,
    seed: int = 0,
    after_step: Callable[[int], None] | None = None,
) -> list[float]:
    """`train_steps` with torch.optim.AdamW over the trainable parameters.

    The grader calls this to check that a classifier learns independently of the student's
    own AdamW, so that a mistake in optimizer.py is not charged twice.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    return train_steps(model, torch_adamw(params, lr=lr), input_ids, attention_mask, labels,
                       steps=steps, batch_size=batch_size, seed=seed, after_step=after_step)


def torch_adamw(params: list[torch.nn.Parameter], *, lr: float) -> torch.optim.Optimizer:
    """torch.optim.AdamW (eps 1e-6, no decay): the fused kernel where this torch has it for
    these tensors (CPU since torch 2.4: the same update, about 4x faster), else the loop."""
    try:
        return torch.optim.AdamW(params, lr=lr, eps=1e-6, weight_decay=0.0, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(params, lr=lr, eps=1e-6, weight_decay=0.0)


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    batch_size: int = 64,
) -> torch.Tensor:
    """The argmax label of every row, (n,), in eval mode (the mode is restored afterwards)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(input_ids), batch_size):
        ids, mask = _trim(input_ids[start : start + batch_size],
                          attention_mask[start : start + batch_size])
        out.append(model(ids.to(device), mask.to(device)).argmax(dim=-1).cpu())
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def accuracy(model: torch.nn.Module, data: dict, *, batch_size: int = 64) -> float:
    """Fraction of rows of an `encode`d dataset whose argmax label is right."""
    preds = predict(model, data["input_ids"], data["attention_mask"], batch_size=batch_size)
    return float((preds == data["labels"]).float().mean()) if len(preds) else float("nan")


def _subset(examples: list, size: int, seed: int) -> list:
    """A seeded random subset of `size` examples, in file order (all of them if size is 0)."""
    if not size or size >= len(examples):
        return examples
    keep = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed))
    return [examples[i] for i in sorted(keep[:size].tolist())]


def _encode_split(path: str, tokenizer: Any, cfg: TrainConfig) -> dict:
    from sentiment_data import encode

    examples = _subset(read_examples(path), cfg.limit_eval, seed=0)  # same subset every seed
    return encode(examples, tokenizer, max_length=cfg.max_length)


# The classifier's class: CS224N's name, then CMU's (their kits differ only in this name).
CLASSIFIER_NAMES = ("BertSentimentClassifier", "BertSentClassifier")


def classifier_class(module: Any) -> type:
    """The sentiment classifier class defined in `module` (your classifier.py)."""
    for name in CLASSIFIER_NAMES:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            return cls
    raise AttributeError(
        f"{getattr(module, '__name__', 'classifier')}: no class {CLASSIFIER_NAMES[0]} (or "
        f"{CLASSIFIER_NAMES[1]}, the CMU kit's name) at the top level of classifier.py")


def fit(cfg: TrainConfig) -> dict[str, Any]:
    """Train, keep the best dev epoch, and score it on dev and test. Returns a summary dict."""
    import classifier  # the student's module
    from optimizer import AdamW  # the student's module
    from tokenizer import BertTokenizer

    BertSentimentClassifier = classifier_class(classifier)

    start = time.perf_counter()
    seed_everything(cfg.seed)
    tokenizer = BertTokenizer.from_pretrained(cfg.checkpoint)
    train = read_examples(cfg.train)
    dev = read_examples(cfg.dev)
    test = read_examples(cfg.test) if cfg.test else []
    n_labels = num_labels(train, dev, *([test] if test else []))
    train = _subset(train, cfg.limit_train, seed=cfg.seed)

    model = BertSentimentClassifier(ClassifierConfig(
        num_labels=n_labels, option=cfg.option, hidden_dropout_prob=cfg.hidden_dropout_prob,
        checkpoint=cfg.checkpoint,
    )).to(cfg.device)
    optimizer = AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    dev_data = _encode_split(cfg.dev, tokenizer, cfg)

    best = {"dev_acc": -1.0, "epoch": -1, "state": None}
    history = []
    steps = 0
    for epoch in range(cfg.epochs):
        model.train()
        losses = []
        for batch in batches(train, tokenizer, batch_size=cfg.batch_size, shuffle=True,
                             seed=cfg.seed + epoch, max_length=cfg.max_length):
            logits = model(batch["input_ids"].to(cfg.device),
                           batch["attention_mask"].to(cfg.device))
            loss = F.cross_entropy(logits, batch["labels"].to(cfg.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            steps += 1
            if cfg.max_steps and steps >= cfg.max_steps:
                break
        dev_acc = accuracy(model, dev_data, batch_size=cfg.eval_batch_size)
        history.append({"epoch": epoch, "steps": steps, "train_loss": float(np.mean(losses)),
                        "dev_acc": dev_acc})
        if cfg.verbose:
            print(f"epoch {epoch}: steps {steps}, train loss {np.mean(losses):.3f}, "
                  f"dev acc {dev_acc:.3f}", flush=True)
        if dev_acc > best["dev_acc"]:
            best = {"dev_acc": dev_acc, "epoch": epoch,
                    "state": copy.deepcopy(model.state_dict())}
        if cfg.max_steps and steps >= cfg.max_steps:
            break
    model.load_state_dict(best["state"])
    test_acc = (accuracy(model, _encode_split(cfg.test, tokenizer, cfg),
                         batch_size=cfg.eval_batch_size) if cfg.test else float("nan"))
    return {
        "option": cfg.option, "seed": cfg.seed, "dev_acc": best["dev_acc"],
        "test_acc": test_acc, "best_epoch": best["epoch"], "steps": steps,
        "train_examples": len(train), "eval_examples": len(dev_data["labels"]),
        "seconds": time.perf_counter() - start,
        "history": history,
    }


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(TrainConfig):
        default = getattr(TrainConfig, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    return TrainConfig(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    result = fit(cfg)
    print(json.dumps({k: v for k, v in result.items() if k != "history"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
