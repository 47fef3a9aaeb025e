"""Giveaways: ways to score without knowing the material, found before learners find them.

Per question (`question_giveaways`):
- the key is clearly the longest option of a single-choice question;
- every correct option of a multiple-choice question is longer than every wrong one;
- the key is named in a tag, or repeated in the prompt (short answers, short options);
- ticking every option (or none) of a multiple-choice question earns credit.

Over a bank (`bank_giveaways`), what only shows in aggregate:
- true/false keys that are mostly true (or mostly false);
- single-choice keys that are the longest option far more often than chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Quiz,
    ShortText,
    SingleChoice,
    TrueFalse,
)
from autograder.quiz.scoring import multiple_fraction

LONGEST_RATIO = 1.25  # a key this much longer than every distractor stands out
LONGEST_MARGIN = 10  # ... and at least this many characters longer
TRUE_SHARE = (0.35, 0.65)  # acceptable share of true keys, with at least MIN_TF questions
MIN_TF = 6
LONGEST_SHARE_SLACK = 0.15  # the key may be the longest option this much above chance

Finding = tuple[tuple[object, ...], str]  # (field location inside the question, message)


def question_giveaways(q: AnyQuestion, rule: str) -> Iterator[Finding]:
    if isinstance(q, SingleChoice):
        yield from _longest_key(q)
    if isinstance(q, MultipleChoice):
        yield from _longer_correct(q)
        yield from _tick_all(q, rule)
    yield from _named_key(q)


def _longest_key(q: SingleChoice) -> Iterator[Finding]:
    key = next((j for j, o in enumerate(q.options) if o.correct), None)
    if key is None:
        return
    n_key = len(q.options[key].text)
    others = [len(o.text) for j, o in enumerate(q.options) if j != key and not o.pin]
    if others and n_key > LONGEST_RATIO * max(others) and n_key - max(others) >= LONGEST_MARGIN:
        yield ("options", key, "text"), (
            f"giveaway: the key is the longest option by far ({n_key} characters, the longest "
            f"distractor {max(others)}); shorten it or give a distractor the same detail")


def _longer_correct(q: MultipleChoice) -> Iterator[Finding]:
    right = [len(o.text) for o in q.options if o.correct]
    wrong = [len(o.text) for o in q.options if not o.correct]
    if len(right) >= 2 and wrong and min(right) > max(wrong) + LONGEST_MARGIN // 2:
        yield ("options",), ("giveaway: every correct option is longer than every wrong one; "
                             "pick the long ones and score full marks")


def _tick_all(q: MultipleChoice, rule: str) -> Iterator[Finding]:
    correct = frozenset(j for j, o in enumerate(q.options) if o.correct)
    n = len(q.options)
    if not correct:
        return
    everything = multiple_fraction(frozenset(range(n)), correct, n, rule)  # type: ignore[arg-type]
    nothing = multiple_fraction(frozenset(), correct, n, rule)  # type: ignore[arg-type]
    if everything > 0 and correct != frozenset(range(n)):
        yield ("options",), (
            f"giveaway: ticking every option earns {everything:.0%} under '{rule}' "
            f"({len(correct)} of {n} options are correct); add wrong options, or use "
            "scoring: all-or-nothing")
    if nothing > 0:
        yield ("options",), (f"giveaway: ticking nothing earns {nothing:.0%} under '{rule}'; "
                             "use net-correct or all-or-nothing")


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.casefold().replace("-", " "))) + " "


def _named_key(q: AnyQuestion) -> Iterator[Finding]:
    keys: list[str] = []
    distractors: list[str] = []
    if isinstance(q, ShortText):
        keys = list(q.accept)
    elif isinstance(q, (SingleChoice, MultipleChoice)):
        keys = [o.text for o in q.options if o.correct]
        distractors = [o.text for o in q.options if not o.correct]
    if not keys:
        return
    wrong = [_words(d) for d in distractors]
    for t, tag in enumerate(q.tags):
        phrase = _words(tag)
        if len(phrase.strip()) < 3 or any(phrase in d for d in wrong):
            continue
        if all(phrase in _words(k) for k in keys):
            yield ("tags", t), (f"giveaway: the tag {tag!r} names the answer; tags are shown "
                                "after answering, but pick a tag that does not name it")
    if isinstance(q, MultipleChoice):
        return  # several keys: a prompt naming one of them gives little away
    prompt = _words(q.prompt)
    for k in keys:
        phrase = _words(k)
        words = phrase.split()
        if isinstance(q, ShortText) or len(words) <= 3:
            if words and phrase in prompt and not any(phrase in d for d in wrong):
                yield ("prompt",), f"giveaway: the prompt contains the answer {k!r}"
                return


def bank_giveaways(quizzes: Sequence[Quiz]) -> list[str]:
    """Aggregate giveaways over all questions given (one message each)."""
    out = []
    tf = [q for quiz in quizzes for q in quiz.questions
          if isinstance(q, TrueFalse) and q.answer is not None]
    if len(tf) >= MIN_TF:
        trues = sum(1 for q in tf if q.answer)
        share = trues / len(tf)
        if not TRUE_SHARE[0] <= share <= TRUE_SHARE[1]:
            out.append(f"giveaway: {trues} of {len(tf)} true/false keys are true ({share:.0%}); "
                       f"answering all true (or all false) pays. Keep the share within "
                       f"{TRUE_SHARE[0]:.0%}-{TRUE_SHARE[1]:.0%}")
    singles = [q for quiz in quizzes for q in quiz.questions if isinstance(q, SingleChoice)]
    if len(singles) >= 8:
        longest = [q for q in singles if _key_is_longest(q)]
        chance = sum(1 / len(q.options) for q in singles) / len(singles)
        share = len(longest) / len(singles)
        if share > chance + LONGEST_SHARE_SLACK:
            out.append(f"giveaway: the key is the strictly longest option in {len(longest)} of "
                       f"{len(singles)} single-choice questions ({share:.0%}; chance is about "
                       f"{chance:.0%}). Longest-first guessing pays")
    return out


def _key_is_longest(q: SingleChoice) -> bool:
    lengths = [len(o.text) for o in q.options]
    key = next((j for j, o in enumerate(q.options) if o.correct), None)
    return key is not None and all(lengths[key] > n for j, n in enumerate(lengths) if j != key)
