"""`nlpgrade quiz stats QUIZ [ANSWERS_DIR]`: item analysis of a class (see itemstats.py).

Reads the results recorded by `quiz grade` in the gradebook, or grades ANSWERS_DIR in memory
(nothing is recorded then).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.itemstats import KEY_FLAG, Analysis, analyse
from autograder.quiz.loader import Problem, QuizError, load_quiz
from autograder.quiz.records import assignment_name
from autograder.results import SubmissionResult


def main(*, quiz: str, answers_dir: Path | None = None, db: str | None = None,
         json_out: Path | None = None, course: Path | None = None) -> int:
    qf = load_quiz(paths.resolve_quiz(quiz, course), check_symbolic=answers_dir is not None)
    if answers_dir is not None:
        from autograder.quiz.grade import grade_class

        results = grade_class(qf, answers_dir)
        origin = str(answers_dir)
    else:
        url = db or f"sqlite:///{(Path.cwd() / 'gradebook.db').resolve()}"
        results = _from_gradebook(url, assignment_name(qf.quiz))
        origin = url
    if not results:
        raise QuizError([Problem(origin, None, f"no results for {assignment_name(qf.quiz)}; "
                                               "run `nlpgrade quiz grade` first or give "
                                               "ANSWERS_DIR")])
    analysis = analyse([(q.id, q.points) for q in qf.quiz.questions], results)
    show(analysis, title=f"{qf.quiz.title}: item analysis ({origin})")
    if json_out is not None:
        from autograder.results import write_json_atomic

        write_json_atomic(json_out, dataclasses.asdict(analysis))
    return 0


def _from_gradebook(url: str, assignment: str) -> list[SubmissionResult]:
    from autograder.gradebook import Gradebook

    book = Gradebook(url)
    try:
        return list(book.submissions(assignment))
    finally:
        book.close()


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def show(analysis: Analysis, *, title: str) -> None:
    from rich.table import Table

    from autograder.quiz.render import make_console

    console = make_console()
    table = Table(title=title, title_justify="left")
    for column in ("question", "p", "D", "r_pb", "flags"):
        table.add_column(column, justify="right" if column in ("p", "D", "r_pb") else "left")
    for item in analysis.items:
        table.add_row(item.question_id, _fmt(item.difficulty), _fmt(item.discrimination),
                      _fmt(item.point_biserial), "⚑" * len(item.flags),
                      style="red" if KEY_FLAG in item.flags else None)
    console.print(table)
    for item in analysis.items:
        for flag in item.flags:
            console.print(f"⚑ {item.question_id}: {flag}",
                          style="red" if flag == KEY_FLAG else "yellow")
    excluded = f" ({analysis.n_excluded} unreadable left out)" if analysis.n_excluded else ""
    console.print(f"{analysis.n_students} students{excluded} · groups of "
                  f"{analysis.group_size} (27%) · mean total {_fmt(analysis.mean_total)}/"
                  f"{analysis.max_total:g} · Cronbach's alpha {_fmt(analysis.alpha, 3)}")
    console.print("p: difficulty (share of points earned) · D: upper-minus-lower 27% · "
                  "r_pb: correlation with the rest of the quiz", style="dim")
