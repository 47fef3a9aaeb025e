"""`nlpgrade quiz take`: answer a quiz in the terminal, or grade an answer file (--answers).

The interactive side lives in session.py; grading a file (for instructors and tests) prints
plain lines and never imports the terminal UI, so it starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.loader import QuizFile, load_quiz
from autograder.quiz.scoring import Outcome, format_points, score_sheet
from autograder.quiz.sheets import load_sheet


def main(*, quiz: str, answers: Path | None = None, seed: int | None = None,
         student: str | None = None, save: Path | None = None, progress: Path | None = None,
         state: Path | None = None, restart: bool = False, record_review: bool = True,
         json_out: Path | None = None, tags: list[str] | None = None,
         course: Path | None = None) -> int:
    qf = load_quiz(paths.resolve_quiz(quiz, course))
    if qf.quiz.release is not None and answers is None:
        from autograder.quiz.release import take_released

        return take_released(qf, seed=seed, student=student, save=save)
    if answers is not None:
        if qf.quiz.release is not None:
            print(f"{qf.name} is a learner's key-free copy: it cannot grade. Hand in your "
                  f"answers; your instructor grades them with `nlpgrade quiz grade`.",
                  file=sys.stderr)
            return 2
        return grade_file(qf, answers, json_out=json_out)
    from autograder.quiz.review import with_tags
    from autograder.quiz.session import Session

    chosen = [q for _, q in with_tags([qf], tags)]
    if not chosen:
        print(f"{qf.name}: no question has the tag(s) {', '.join(tags or [])}",
              file=sys.stderr)
        return 2
    return Session(qf, seed=seed, student=student, save=save,
                   progress=progress or paths.default_progress(qf.quiz.id),
                   state=(state or paths.default_state()) if record_review else None,
                   restart=restart, history=paths.history_file(),
                   questions=chosen).run()


def _detail(o: Outcome) -> str:
    """What follows a question's score: the key only for an attempted answer (a blank or an
    unreadable one must not be a way to read the keys), and why an answer was not read."""
    if o.is_correct:
        return ""
    if o.status in ("unanswered", "invalid"):
        why = f": {o.feedback[0]}" if o.feedback else ""
        return f"  ({o.status}{why})"
    return f"  ({o.status}; correct: {o.correct_answer})"


def grade_file(qf: QuizFile, answers: Path, *, json_out: Path | None) -> int:
    """Grade one answer file without prompting: per-question lines, then the total."""
    sheet = load_sheet(answers)
    quiz = qf.quiz
    if sheet.quiz is not None and sheet.quiz != quiz.id:
        print(f"{answers}: answers are for quiz {sheet.quiz!r}, not {quiz.id!r}",
              file=sys.stderr)
        return 2
    for warning in sheet.stray_answers({q.id for q in quiz.questions}):
        print(warning, file=sys.stderr)
    outcomes = score_sheet(quiz, sheet)
    for o in outcomes:
        print(f"{o.mark} {o.question_id}: {format_points(o.score)}/"
              f"{format_points(o.max_score)}{_detail(o)}")
    total = sum(o.score for o in outcomes)
    version = "options named by text" if sheet.seed is None else f"seed {sheet.seed}"
    if sheet.release is not None:
        version += f", release {sheet.release}"
    print(f"Score: {format_points(total)}/{format_points(quiz.max_score)} "
          f"({sheet.student}, {version})")
    if json_out is not None:
        from autograder.quiz.records import submission_result
        from autograder.results import write_json_atomic

        write_json_atomic(json_out, submission_result(quiz, sheet.student, outcomes,
                                                      seed=sheet.seed).to_json())
    return 0
