"""Sentiment data: read `label ||| sentence` files and batch them for BERT (support module).

The format is the CS224N / CMU minBERT one: one example per line, an integer label, the
separator " ||| ", then the sentence (already tokenised into space-separated words in SST and
CFIMDB; our tokenizer does not mind either way). Blank lines are skipped.

    examples = read_examples("data/toy-train.txt")
    for batch in batches(examples, tokenizer, batch_size=16, shuffle=True, seed=0):
        batch["input_ids"], batch["attention_mask"], batch["labels"]   # (bs, seq), (bs,)

(The module is not called `datasets`, the CS224N multitask name, because that would shadow the
Hugging Face `datasets` package for any code that runs next to it.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import torch

SEPARATOR = "|||"


class Example(NamedTuple):
    label: int  # class id, 0 .. num_labels - 1
    sentence: str  # the raw text


def parse_line(line: str, *, where: str = "<line>") -> Example:
    """One `label ||| sentence` line -> Example. Raises ValueError naming `where`."""
    label, sep, sentence = line.partition(SEPARATOR)
    if not sep:
        raise ValueError(f"{where}: expected 'label ||| sentence', found no '|||'")
    try:
        value = int(label.strip())
    except ValueError:
        raise ValueError(f"{where}: label {label.strip()!r} is not an integer") from None
    if value < 0:
        raise ValueError(f"{where}: label {value} is negative")
    return Example(value, sentence.strip())


def read_examples(path: str | os.PathLike[str]) -> list[Example]:
    """Every example of a `label ||| sentence` file, in file order."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                examples.append(parse_line(line, where=f"{os.fspath(path)}:{number}"))
    return examples


def write_examples(path: str | os.PathLike[str], examples: Sequence[Example]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for example in examples:
            f.write(f"{example.label} {SEPARATOR} {example.sentence}\n")


def num_labels(*splits: Sequence[Example]) -> int:
    """1 + the largest label seen in any split."""
    return 1 + max(example.label for split in splits for example in split)


def encode(examples: Sequence[Example], tokenizer: Any, *, max_length: int = 128) -> dict:
    """Tokenise a list of examples into one padded batch.

    returns {"input_ids": (n, seq), "attention_mask": (n, seq), "labels": (n,),
             "sentences": list[str]}
    """
    batch = tokenizer(
        [e.sentence for e in examples], padding=True, truncation=True, max_length=max_length,
        return_tensors="pt",
    )
    return {
        "input_ids": batch["input_ids"],
        "attention_mask": batch["attention_mask"],
        "labels": torch.tensor([e.label for e in examples], dtype=torch.long),
        "sentences": [e.sentence for e in examples],
    }


def batches(
    examples: Sequence[Example],
    tokenizer: Any,
    *,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    max_length: int = 128,
) -> Iterator[dict]:
    """Batches of `encode`d examples, each padded to its own longest sentence.

    With shuffle=True the order is a permutation drawn from a generator seeded with `seed`,
    so a run is reproducible and does not consume the global RNG.
    """
    order = list(range(len(examples)))
    if shuffle:
        order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed))
        order = order.tolist()
    for start in range(0, len(order), batch_size):
        chunk = [examples[i] for i in order[start : start + batch_size]]
        yield encode(chunk, tokenizer, max_length=max_length)
