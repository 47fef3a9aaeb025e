"""Moodle GIFT export: escaping (GIFT's and Markdown's), question types, exact numeric keys,
and weights that match our scoring rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.quiz.gift import escape, markdown_escape, multiple_weights, to_gift
from autograder.quiz.loader import load_quiz
from autograder.quiz.scoring import multiple_fraction


def block(gift: str, qid: str) -> str:
    return next(b for b in gift.split("\n\n") if f"::{qid}::" in b)


def test_gift_control_characters_are_escaped() -> None:
    assert escape("a = b: {x} ~ #1 \\") == "a \\= b\\: \\{x\\} \\~ \\#1 \\\\"
    assert escape("line one\nline two") == "line one\\nline two"


def test_markdown_in_feedback_is_escaped_so_it_renders_literally() -> None:
    assert markdown_escape("4*d^2 and d_model [CLS]") == "4\\*d^2 and d\\_model \\[CLS\\]"
    assert markdown_escape("- not a list\n1. nor this") == "\\- not a list\n1\\. nor this"
    assert markdown_escape("    code*stays") == "    code*stays"  # an indented code block


def test_single_choice_exports_one_right_answer_with_option_feedback(mini: Path) -> None:
    gift, _ = to_gift(load_quiz(mini).quiz)
    assert block(gift, "mini-single").splitlines()[1:] == [
        "::mini-single::[markdown]Which token does BERT prepend to every input? {",
        "=\\\\[CLS\\\\]",
        "~\\\\[SEP\\\\]#\\\\[SEP\\\\] separates segments and ends the input.",
        "~\\\\[MASK\\\\]",
        "~None of the above",
        "####\\\\[CLS\\\\] is prepended; its final hidden state summarises the sequence.\\n"
        "Source\\: Transformer lecture, slide 'Input'",
        "}",
    ]


def test_a_symbolic_key_in_feedback_is_not_turned_into_italics(write_yaml, mini: Path) -> None:
    text = mini.read_text().replace('answer: "d*mu^2"', 'answer: "4*d*mu^2*d"')
    gift, _ = to_gift(load_quiz(write_yaml("q.yaml", text)).quiz)
    assert "Answer\\: 4\\\\*d\\\\*mu^2\\\\*d" in block(gift, "mini-symbolic")


def test_numeric_keys_are_written_exactly(write_yaml, mini: Path) -> None:
    text = mini.read_text().replace("answer: 8\n", "answer: 2362368\n")
    text = text.replace("tolerance: {abs: 0.01}", "tolerance: {abs: 0}")
    gift, _ = to_gift(load_quiz(write_yaml("q.yaml", text)).quiz)
    assert "#2362368:0" in block(gift, "mini-numeric")


def test_net_correct_weights_are_plus_and_minus_100_over_k(mini: Path) -> None:
    gift, _ = to_gift(load_quiz(mini).quiz)
    lines = block(gift, "mini-multiple").splitlines()
    assert "~%33.33333%Masked self-attention" in lines
    assert "~%-33.33333%A convolution over time#No convolutions in the Transformer." in lines


@pytest.mark.parametrize("rule", ["net-correct"])
def test_moodle_arithmetic_on_exported_weights_reproduces_our_score(rule: str) -> None:
    """Moodle sums the picked options' weights and clamps to [0, 100]%: for every possible
    selection that equals our net-correct fraction."""
    correct, n = frozenset({0, 1, 2}), 5
    right, wrong = multiple_weights(len(correct), rule)  # type: ignore[arg-type]
    for mask in range(2**n):
        picked = frozenset(i for i in range(n) if mask >> i & 1)
        moodle = sum(right if i in correct else wrong for i in picked)
        moodle = min(max(moodle, 0.0), 100.0) / 100
        assert moodle == pytest.approx(multiple_fraction(picked, correct, n, rule))


def test_other_types_use_their_gift_forms(mini: Path) -> None:
    gift, warnings = to_gift(load_quiz(mini).quiz)
    assert "TRUE#Perplexity is exp of the cross-entropy\\: exp(log |V|) \\= |V|.#" in gift
    assert "#8:0.01" in block(gift, "mini-numeric")
    assert "=\\\\[SEP\\\\]\n=SEP" in block(gift, "mini-short")
    assert "=Tokenize the text -> 1\n=Map tokens to ids -> 2" in block(gift, "mini-order")
    symbolic = block(gift, "mini-symbolic")
    assert "{\n####Answer\\: d\\\\*mu^2\\n" in symbolic  # an essay, the key in the feedback
    assert "mini/mini-symbolic: symbolic: exported as an essay" in " ".join(warnings)
    assert gift.startswith("// Mini quiz (mini)")
    assert "$CATEGORY: $course$/nlpgrade/mini" in gift


def test_rules_gift_cannot_express_are_exported_with_a_warning(mini: Path, write_yaml) -> None:
    text = mini.read_text().replace("scoring: net-correct", "scoring: all-or-nothing")
    gift, warnings = to_gift(load_quiz(write_yaml("strict.yaml", text)).quiz)
    assert "~%-100%A convolution over time" in block(gift, "mini-multiple")
    assert any("scoring 'all-or-nothing' has no exact GIFT form" in w for w in warnings)


def test_export_writes_every_course_quiz(cli, tmp_path: Path) -> None:
    out = tmp_path / "course.gift"
    rc, _, err = cli("export", "--format", "gift", "-o", out)
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("$CATEGORY:") == 7
    assert "::mlm-80-10-10::" in text
    assert "wrote 7 quiz(zes)" in err
