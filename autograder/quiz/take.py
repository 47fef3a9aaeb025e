"""`nlpgrade quiz take`: answer a quiz in the terminal, or grade an answer file (--answers).

Interactive mode shows each question, reads an answer (asking again when it cannot be read),
then shows the verdict, the feedback, the explanation and the running score. Progress is
saved after every answer, so Ctrl-C (or a closed terminal) loses nothing: running the same
command again resumes with the same shuffle. Each answer also feeds the spaced-repetition
state, so `nlpgrade quiz review` brings back what was missed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.quiz import paths, render
from autograder.quiz.loader import QuizFile, load_quiz
from autograder.quiz.schema import AnyQuestion
from autograder.quiz.scoring import Outcome, score_answers
from autograder.quiz.sheets import AnswerSheet, load_sheet, write_sheet
from autograder.quiz.shuffle import display_order, new_seed

EXIT_INTERRUPTED = 130


def main(*, quiz: str, answers: Path | None = None, seed: int | None = None,
         student: str | None = None, save: Path | None = None, progress: Path | None = None,
         state: Path | None = None, restart: bool = False, record_review: bool = True,
         json_out: Path | None = None, course: Path | None = None) -> int:
    qf = load_quiz(paths.resolve_quiz(quiz, course))
    if answers is not None:
        return grade_file(qf, answers, json_out=json_out)
    return Session(qf, seed=seed, student=student, save=save,
                   progress=progress or paths.default_progress(qf.quiz.id),
                   state=(state or paths.default_state()) if record_review else None,
                   restart=restart).run()


def grade_file(qf: QuizFile, answers: Path, *, json_out: Path | None) -> int:
    """Grade one answer file without prompting: per-question lines, then the total."""
    console = render.make_console()
    sheet = load_sheet(answers)
    quiz = qf.quiz
    if sheet.quiz is not None and sheet.quiz != quiz.id:
        print(f"{answers}: answers are for quiz {sheet.quiz!r}, not {quiz.id!r}",
              file=sys.stderr)
        return 2
    for qid in unknown_ids(qf, sheet):
        line = sheet.lines.get(qid)
        print(f"{answers}:{line}: answer for unknown question {qid!r} ignored", file=sys.stderr)
    outcomes = score_answers(quiz, sheet.answers, seed=sheet.seed)
    for o in outcomes:
        mark = {"correct": "✓", "partial": "◐"}.get(o.status, "✗")
        detail = "" if o.is_correct else f"  ({o.status}; correct: {o.correct_answer})"
        console.print(f"{mark} {o.question_id}: {render.points(o.score)}/"
                      f"{render.points(o.max_score)}{detail}")
    total = sum(o.score for o in outcomes)
    version = "authored order" if sheet.seed is None else f"seed {sheet.seed}"
    console.print(f"Score: {render.points(total)}/{render.points(quiz.max_score)} "
                  f"({sheet.student}, {version})")
    if json_out is not None:
        from autograder.quiz.records import submission_result
        from autograder.results import write_json_atomic

        write_json_atomic(json_out, submission_result(quiz, sheet.student, outcomes,
                                                      seed=sheet.seed).to_json())
    return 0


def unknown_ids(qf: QuizFile, sheet: AnswerSheet) -> list[str]:
    known = {q.id for q in qf.quiz.questions}
    return [qid for qid in sheet.answers if qid not in known]


class Session:
    """One interactive run through a quiz, resumable from its progress file."""

    def __init__(self, qf: QuizFile, *, seed: int | None, student: str | None,
                 save: Path | None, progress: Path, state: Path | None,
                 restart: bool) -> None:
        self.qf, self.quiz = qf, qf.quiz
        self.console = render.make_console()
        self.progress, self.save, self.state_path = progress, save, state
        self.resumed = False
        sheet = None
        if progress.is_file() and not restart:
            sheet = load_sheet(progress)
            if sheet.quiz != self.quiz.id or (seed is not None and seed != sheet.seed):
                sheet = None  # another quiz's file, or a different version asked for
        if sheet is None:
            sheet = AnswerSheet(quiz=self.quiz.id, student=student or "me",
                                seed=seed if seed is not None else new_seed())
        else:
            self.resumed = bool(sheet.answers)
        if student:
            sheet.student = student
        self.sheet = sheet
        self.outcomes: dict[str, Outcome] = {}

    def run(self) -> int:
        quiz, sheet, console = self.quiz, self.sheet, self.console
        answered = [q for q in quiz.questions if q.id in sheet.answers]
        for o in score_answers(quiz, sheet.answers, seed=sheet.seed):
            if o.question_id in sheet.answers:
                self.outcomes[o.question_id] = o
        console.print(f"{quiz.title} — {len(quiz.questions)} questions, "
                      f"{render.points(quiz.max_score)} points (seed {sheet.seed})",
                      style="bold")
        if self.resumed:
            console.print(f"Resuming: {len(answered)} of {len(quiz.questions)} answered, "
                          f"score {render.points(self.score)}. (--restart starts over.)")
        console.print("Ctrl-C saves your progress and quits.", style="dim")
        try:
            for number, q in enumerate(quiz.questions, start=1):
                if q.id not in sheet.answers:
                    self.ask(number, q)
        except (KeyboardInterrupt, EOFError):
            done = len(self.outcomes)
            console.print(f"\nProgress saved: {done} of {len(quiz.questions)} answered "
                          f"({self.progress}). Run the same command to resume.")
            return EXIT_INTERRUPTED
        self.finish()
        return 0

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes.values())

    def ask(self, number: int, q: AnyQuestion) -> None:
        order = display_order(q, self.sheet.seed)
        render.show_question(self.console, q, order, number=number,
                             total=len(self.quiz.questions))
        outcome = render.ask(self.console, q, order, rule=self.quiz.rule_for(q))
        self.outcomes[q.id] = outcome
        self.sheet.answers[q.id] = outcome.response
        write_sheet(self.progress, self.sheet)
        answered_max = sum(o.max_score for o in self.outcomes.values())
        render.show_outcome(self.console, q, outcome, running=(self.score, answered_max))
        if self.state_path is not None:
            from autograder.quiz.reviewstate import ReviewState

            with ReviewState(self.state_path) as state:
                state.record(quiz_id=self.quiz.id, question_id=q.id,
                             correct=outcome.is_correct, score=outcome.score,
                             max_score=outcome.max_score, answer=outcome.response,
                             origin="take")

    def finish(self) -> None:
        from rich.table import Table

        console, quiz = self.console, self.quiz
        table = Table(title=f"{quiz.title}: results", title_justify="left")
        for column in ("#", "question", "answer", "points"):
            table.add_column(column)
        for number, q in enumerate(quiz.questions, start=1):
            o = self.outcomes[q.id]
            mark = {"correct": "✓", "partial": "◐"}.get(o.status, "✗")
            table.add_row(str(number), q.id, f"{mark} {o.response}",
                          f"{render.points(o.score)}/{render.points(o.max_score)}")
        console.print()
        console.print(table)
        console.print(f"Final score: {render.points(self.score)}/"
                      f"{render.points(quiz.max_score)}", style="bold")
        if self.save is not None:
            write_sheet(self.save, self.sheet)
            console.print(f"Answers saved to {self.save}")
        self.progress.unlink(missing_ok=True)
