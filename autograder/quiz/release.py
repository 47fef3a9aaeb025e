"""`nlpgrade quiz release QUIZ -o FILE`: a learner's key-free copy of a quiz that counts.

The copy keeps what a learner needs to answer (prompts, option texts, ordering items,
variables, units, the precision asked for, points and scoring rules) and nothing that gives
an answer away: no correct flags, keys, accepted answers, feedback, explanations or tags.
Options and ordering items appear in a *secret* order, so that neither the authored key
position nor the authored (solved) order of an ordering question leaks. The order of each
question is derived from a hash of the parts the copy leaves out, which only the instructor
has; `quiz grade` recomputes it from the instructor's file to map answers back.

`take` on the copy asks the questions without grading and saves an answer file that records
the copy's digest; `quiz grade` grades it against the instructor's quiz.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

from autograder.quiz import paths
from autograder.quiz.loader import Problem, QuizError, QuizFile, load_quiz
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    Quiz,
    SingleChoice,
)
from autograder.quiz.shuffle import Order, display_order, permutation, pins

_PUBLIC = ("id", "type", "prompt", "points", "variables", "functions", "quantity", "unit",
           "units", "decimals", "scoring")


def secret_order(q: AnyQuestion) -> Order:
    """Released position -> authored index, from a hash of what the copy leaves out."""
    pinned = pins(q)
    if pinned is None:
        return ()
    hidden = json.dumps(q.model_dump(mode="json", exclude=set(_PUBLIC)), sort_keys=True)
    rng = random.Random(hashlib.sha256(f"{q.id}\n{hidden}".encode()).hexdigest())
    return permutation(pinned, rng, unsolved=isinstance(q, Ordering))  # never listed solved


def digest(quiz: Quiz) -> str:
    """Names one release: the secret orders of all questions (12 hex digits)."""
    orders = [[q.id, list(secret_order(q))] for q in quiz.questions]
    return hashlib.sha256(json.dumps(orders).encode()).hexdigest()[:12]


def public_copy(quiz: Quiz) -> dict[str, Any]:
    """The key-free quiz, as data for a YAML file."""
    questions = []
    for q in quiz.questions:
        data = q.model_dump(mode="json", include=set(_PUBLIC), exclude_none=True,
                            exclude_defaults=True)
        data.update(id=q.id, type=q.type)
        order = secret_order(q)
        if isinstance(q, (SingleChoice, MultipleChoice)):
            data["options"] = [{"text": q.options[i].text, **({"pin": True} if
                                q.options[i].pin else {})} for i in order]
        elif isinstance(q, Ordering):
            data["items"] = [q.items[i] for i in order]
        if isinstance(q, Numeric) and q.tolerance is not None and q.tolerance.abs is not None:
            data["tolerance"] = {"abs": q.tolerance.abs}
        questions.append(data)
    return {"id": f"{quiz.id}-release", "title": quiz.title, "source": quiz.source,
            "scoring": quiz.scoring, "description": quiz.description,
            "release": {"of": quiz.id, "digest": digest(quiz)}, "questions": questions}


def grading_orders(quiz: Quiz, seed: int | None) -> dict[str, Order]:
    """For answers written against the released copy: the learner's display position ->
    the instructor's authored index, per question."""
    out = {}
    for q in quiz.questions:
        secret = secret_order(q)
        if not secret:
            continue
        shown = display_order(_reordered(q, secret), seed)
        out[q.id] = tuple(secret[i] for i in shown)
    return out


def _reordered(q: AnyQuestion, order: Order) -> AnyQuestion:
    """The question as the copy lists it (only the pins and counts matter for shuffling)."""
    if isinstance(q, (SingleChoice, MultipleChoice)):
        return q.model_copy(update={"options": [q.options[i] for i in order]})
    if isinstance(q, Ordering):
        return q.model_copy(update={"items": [q.items[i] for i in order]})
    return q


def check_release(quiz: Quiz, released: str, where: str) -> None:
    """Answers written against another release would be mapped to the wrong options."""
    mine = digest(quiz)
    if released != mine:
        raise QuizError([Problem(where, None, f"answers were written against release "
                                              f"{released}, but {quiz.id} is now release "
                                              f"{mine} (the quiz changed since it was "
                                              "released); grade with the quiz as released",
                                 field="release")])


def main(*, quiz: str, output: Path, course: Path | None = None) -> int:
    qf = load_quiz(paths.resolve_quiz(quiz, course), check_symbolic=True)
    if qf.quiz.release is not None:
        raise QuizError([Problem(qf.name, None, "already a key-free copy; release the "
                                                "instructor's quiz")])
    text = yaml.safe_dump(public_copy(qf.quiz), sort_keys=False, allow_unicode=True,
                          width=100)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(f"# Key-free copy of {qf.quiz.id} for learners, written by `nlpgrade "
                      f"quiz release`.\n{text}", encoding="utf-8")
    load_quiz(output)  # the copy must load as a quiz (and without keys)
    print(f"wrote {output}: {len(qf.quiz.questions)} questions, release "
          f"{digest(qf.quiz)}, no keys", file=sys.stderr)
    return 0


def take_released(qf: QuizFile, *, seed: int | None, student: str | None,
                  save: Path | None) -> int:
    """Ask a key-free copy's questions, check only that answers can be read, and save them."""
    from autograder.quiz import render
    from autograder.quiz.answers import AnswerError, format_response, parse_response
    from autograder.quiz.lineinput import LineReader
    from autograder.quiz.sheets import AnswerSheet, write_sheet
    from autograder.quiz.shuffle import new_seed

    assert qf.quiz.release is not None
    console = render.make_console()
    reader = LineReader(paths.history_file())
    sheet = AnswerSheet(quiz=qf.quiz.release.of, student=student or "me",
                        seed=seed if seed is not None else new_seed(),
                        release=qf.quiz.release.digest)
    out = save or Path(f"{qf.quiz.release.of}-answers.yaml")
    console.print(f"{qf.quiz.title}: graded quiz, {len(qf.quiz.questions)} questions. "
                  "Answers are saved, not checked.", style="bold")
    render.show_description(console, qf.quiz.description)
    try:
        for number, q in enumerate(qf.quiz.questions, start=1):
            order = display_order(q, sheet.seed)
            render.show_question(console, q, order, number=number,
                                 total=len(qf.quiz.questions))
            while True:
                typed = reader.read(render.PROMPT).strip()
                if not typed or typed.casefold() == render.SKIP:
                    break
                try:
                    sheet.answers[q.id] = format_response(q, parse_response(q, typed, order),
                                                          order)
                    break
                except AnswerError as err:
                    render.show_error(console, str(err))
            write_sheet(out, sheet)
    except (KeyboardInterrupt, EOFError):
        console.print(f"\nAnswers so far saved to {out}.")
        return render.EXIT_INTERRUPTED
    finally:
        reader.save()
    write_sheet(out, sheet)
    console.print(f"Answers saved to {out}: hand this file in.", style="bold")
    return 0
