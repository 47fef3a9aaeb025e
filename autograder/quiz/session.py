"""Interactive `nlpgrade quiz take`: one run through a quiz in the terminal (rich).

Each question is shown, answers are read until one can be graded, then the verdict, the
option feedback, the explanation and the running score appear. Progress is saved after
every answer, so Ctrl-C or Ctrl-D (or a closed terminal) loses nothing: the same command
resumes with the same shuffle. Each answer also feeds the spaced-repetition state, so
`nlpgrade quiz review` brings back what was missed.
"""

from __future__ import annotations

from pathlib import Path

from autograder.quiz import render
from autograder.quiz.loader import QuizFile
from autograder.quiz.schema import AnyQuestion
from autograder.quiz.scoring import Outcome, format_points, score_answers
from autograder.quiz.sheets import AnswerSheet, load_sheet, write_sheet
from autograder.quiz.shuffle import display_order, new_seed


class Session:
    """One interactive run through a quiz, resumable from its progress file."""

    def __init__(self, qf: QuizFile, *, seed: int | None, student: str | None,
                 save: Path | None, progress: Path, state: Path | None,
                 restart: bool) -> None:
        self.quiz = qf.quiz
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
        for o in score_answers(quiz, sheet.answers, seed=sheet.seed):
            if o.question_id in sheet.answers:
                self.outcomes[o.question_id] = o
        console.print(f"{quiz.title} — {len(quiz.questions)} questions, "
                      f"{format_points(quiz.max_score)} points (seed {sheet.seed})",
                      style="bold")
        if self.resumed:
            console.print(f"Resuming: {len(self.outcomes)} of {len(quiz.questions)} answered, "
                          f"score {format_points(self.score)}. (--restart starts over.)")
        console.print("Ctrl-C saves your progress and quits.", style="dim")
        try:
            for number, q in enumerate(quiz.questions, start=1):
                if q.id not in sheet.answers:
                    self.ask(number, q)
        except (KeyboardInterrupt, EOFError):
            done = len(self.outcomes)
            console.print(f"\nProgress saved: {done} of {len(quiz.questions)} answered "
                          f"({self.progress}). Run the same command to resume.")
            return render.EXIT_INTERRUPTED
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
            table.add_row(str(number), q.id, f"{o.mark} {o.response}",
                          f"{format_points(o.score)}/{format_points(o.max_score)}")
        console.print()
        console.print(table)
        console.print(f"Final score: {format_points(self.score)}/"
                      f"{format_points(quiz.max_score)}", style="bold")
        if self.save is not None:
            write_sheet(self.save, self.sheet)
            console.print(f"Answers saved to {self.save}")
        self.progress.unlink(missing_ok=True)
