"""The toy sentiment set: reproducible, balanced, and built as documented."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import sentiment_data

DATA = Path(__file__).resolve().parents[2] / "assignments" / "minbert" / "data"


def _generator():
    spec = importlib.util.spec_from_file_location("make_toy_sentiment",
                                                  DATA / "make_toy_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_files_are_what_the_generator_makes():
    result = subprocess.run([sys.executable, str(DATA / "make_toy_sentiment.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_splits_are_balanced_disjoint_and_sized():
    splits = {s: sentiment_data.read_examples(DATA / f"toy-{s}.txt")
              for s in ("train", "dev", "test")}
    assert {s: len(e) for s, e in splits.items()} == {"train": 800, "dev": 300, "test": 300}
    for split, examples in splits.items():
        assert sum(e.label for e in examples) * 2 == len(examples), f"{split} is not balanced"
    train = {e.sentence for e in splits["train"]}
    assert not train & {e.sentence for e in splits["dev"]}
    assert not train & {e.sentence for e in splits["test"]}
    assert sentiment_data.num_labels(*splits.values()) == 2


def test_held_out_adjectives_appear_only_in_dev_and_test():
    gen = _generator()
    held_out = set(gen.HELD_OUT_POSITIVE + gen.HELD_OUT_NEGATIVE)

    def words(split):
        return {w for e in sentiment_data.read_examples(DATA / f"toy-{split}.txt")
                for w in e.sentence.split()}

    assert not held_out & words("train")
    assert held_out <= words("dev") | words("test")


def test_parse_line_reports_the_place_and_the_problem():
    assert sentiment_data.parse_line("3 ||| a b ||| c") == sentiment_data.Example(3, "a b ||| c")
    with pytest.raises(ValueError, match=r"f.txt:7: expected 'label \|\|\| sentence'"):
        sentiment_data.parse_line("no separator", where="f.txt:7")
    with pytest.raises(ValueError, match="not an integer"):
        sentiment_data.parse_line("pos ||| good")


def test_batches_cover_every_example_once_in_a_seeded_order(tokenizer):
    examples = sentiment_data.read_examples(DATA / "toy-dev.txt")[:37]
    first = list(sentiment_data.batches(examples, tokenizer, batch_size=8, shuffle=True, seed=3))
    again = list(sentiment_data.batches(examples, tokenizer, batch_size=8, shuffle=True, seed=3))
    assert [len(b["labels"]) for b in first] == [8, 8, 8, 8, 5]
    assert sorted(s for b in first for s in b["sentences"]) == sorted(e.sentence for e in examples)
    assert [b["sentences"] for b in first] == [b["sentences"] for b in again]
