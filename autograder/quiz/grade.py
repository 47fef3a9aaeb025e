"""`nlpgrade quiz grade QUIZ ANSWERS_DIR`: grade a class into the assignments' gradebook.

One answer file per student. Each becomes a SubmissionResult recorded under `quiz:<id>`,
with one TestResult per question, so quizzes and assignments share one gradebook, one JSON
format and one set of exports. A file that cannot be read still gets a row (zero, with the
reason), never a crash of the batch.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.loader import Problem, QuizError, QuizFile, display_path, load_quiz
from autograder.quiz.records import assignment_name, submission_result, unreadable
from autograder.quiz.scoring import score_sheet
from autograder.quiz.sheets import load_sheet
from autograder.results import SubmissionResult

ANSWER_SUFFIXES = (".yaml", ".yml", ".json")


def main(*, quiz: str, answers_dir: Path, json_out: Path | None = None, db: str | None = None,
         course: Path | None = None) -> int:
    qf = load_quiz(paths.resolve_quiz(quiz, course), check_symbolic=True)
    results = grade_class(qf, answers_dir)
    from autograder.gradebook import Gradebook

    url = db or f"sqlite:///{(Path.cwd() / 'gradebook.db').resolve()}"
    book = Gradebook(url)
    try:
        for result in results:
            book.record(assignment_name(qf.quiz), result)
    finally:
        book.close()
    show(qf, results, url=url)
    if json_out is not None:
        from autograder.results import BatchResult, write_json_atomic

        batch = BatchResult(assignment=assignment_name(qf.quiz), max_score=qf.quiz.max_score,
                            submissions=results)
        write_json_atomic(json_out, batch.to_json())
    return 0


def answer_files(answers_dir: Path) -> list[Path]:
    if not answers_dir.is_dir():
        raise QuizError([Problem(str(answers_dir), None, "not a folder of answer files")])
    files = sorted(p for p in answers_dir.iterdir()
                   if p.suffix in ANSWER_SUFFIXES and p.is_file() and not p.name.startswith("."))
    if not files:
        raise QuizError([Problem(str(answers_dir), None, "no answer files (*.yaml, *.yml, "
                                                         "*.json) in this folder")])
    return files


def grade_class(qf: QuizFile, answers_dir: Path) -> list[SubmissionResult]:
    """Every student's result, sorted by student. Raises QuizError when two files claim the
    same student (one would silently overwrite the other in the gradebook)."""
    results: dict[str, tuple[Path, SubmissionResult]] = {}
    for path in answer_files(answers_dir):
        result = grade_one(qf, path)
        if result.student in results:
            first = display_path(results[result.student][0])
            raise QuizError([Problem(display_path(path), None, f"student {result.student!r} "
                                     f"also has answers in {first}; one file per student",
                                     field="student")])
        results[result.student] = (path, result)
    return [results[name][1] for name in sorted(results)]


def grade_one(qf: QuizFile, path: Path) -> SubmissionResult:
    quiz = qf.quiz
    try:
        sheet = load_sheet(path)
    except QuizError as err:
        return unreadable(quiz, path.name.split(".")[0], str(err))
    if sheet.quiz is not None and sheet.quiz != quiz.id:
        return unreadable(quiz, sheet.student, f"{display_path(path)}: answers are for quiz "
                                               f"{sheet.quiz!r}, not {quiz.id!r}")
    notes = sheet.stray_answers({q.id for q in quiz.questions})
    try:
        outcomes = score_sheet(quiz, sheet)
    except QuizError as err:
        return unreadable(quiz, sheet.student, str(err))
    return submission_result(quiz, sheet.student, outcomes, seed=sheet.seed,
                             message="\n".join(notes))


def show(qf: QuizFile, results: list[SubmissionResult], *, url: str) -> None:
    from rich.table import Table

    from autograder.quiz.render import make_console, points

    console = make_console()
    table = Table(title=f"{qf.quiz.title} ({assignment_name(qf.quiz)})", title_justify="left")
    for column in ("student", "score", "status", "note"):
        table.add_column(column)
    for r in results:
        table.add_row(r.student, f"{points(r.score or 0.0)}/{points(r.max_score)}", r.status,
                      r.message.splitlines()[0] if r.message else "")
    console.print(table)
    scores = [r.score for r in results if r.score is not None]
    console.print(f"{len(results)} students · mean {points(statistics.mean(scores))} · "
                  f"median {points(statistics.median(scores))} · recorded in {url}")
    for line in _warnings(results):
        print(line, file=sys.stderr)


def _warnings(results: list[SubmissionResult]) -> Iterator[str]:
    for r in results:
        if r.message:
            yield from r.message.splitlines()
