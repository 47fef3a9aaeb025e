"""The reference's solution regions: what `nlpgrade release` will cut for the stubs.

A local stand-in for the release tool: every region becomes `raise NotImplementedError`
(keeping the `# Step` / `# Hint` lines, as docs/authoring.md says), and the result must still
import, keep every class complete, and raise in exactly the functions the README lists.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "minbert"
REGION = re.compile(r"^( *)### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n", re.S | re.M)
EXPECTED = {
    "bert.py": ["attention", "add_norm", "forward", "embed"],
    "optimizer.py": ["step"],
    "classifier.py": ["__init__", "forward"],
}


def _stub(text: str) -> str:
    def cut(match: re.Match) -> str:
        indent, body = match.group(1), match.group(2)
        hints = [line for line in body.splitlines(keepends=True)
                 if line.strip().startswith(("# Step", "# Hint"))]
        return "".join(hints) + f'{indent}raise NotImplementedError("see README")\n'

    return REGION.sub(cut, text)


def _enclosing_functions(text: str) -> list[str]:
    names = []
    for match in REGION.finditer(text):
        before = text[: match.start()]
        names.append(re.findall(r"^\s*def (\w+)\(", before, re.M)[-1])
    return names


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_regions_sit_in_the_functions_the_readme_lists_and_carry_hints(module):
    text = (SOLUTION / module).read_text()
    assert _enclosing_functions(text) == EXPECTED[module]
    for match in REGION.finditer(text):
        assert re.search(r"# (Step|Hint)", match.group(2)), "every region keeps step hints"


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_the_stub_imports_and_raises(module, tmp_path):
    stub = tmp_path / module
    stub.write_text(_stub((SOLUTION / module).read_text()))
    compile(stub.read_text(), str(stub), "exec")
    name = f"minbert_stub_{module[:-3]}"
    spec = importlib.util.spec_from_file_location(name, stub)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop(name, None)
    if module == "bert.py":
        import config

        cfg = config.BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
                                num_attention_heads=2, intermediate_size=8,
                                max_position_embeddings=8)
        att = mod.BertSelfAttention(cfg)
        with pytest.raises(NotImplementedError):
            att.attention(None, None, None, None)
        assert mod.BertModel(cfg).bert_layers[0].out_dense.out_features == 8
