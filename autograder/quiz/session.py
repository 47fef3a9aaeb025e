"""Interactive `nlpgrade quiz take`: one run through a quiz in the terminal (rich).

The quiz's description (its notation) comes first. Each question is shown, answers are read
(with line editing and history) until one can be graded, then the verdict, the option
feedback, the explanation, the source and the tags appear. `skip` leaves a question for
the end of the run. Progress is saved after every answer, so Ctrl-C or Ctrl-D (or a closed
terminal) loses nothing: the same command resumes with the same shuffle. Each answer also
feeds the spaced-repetition state, so `nlpgrade quiz review` brings back what was missed.
"""

from __future__ import annotations

from pathlib import Path

from autograder.quiz import render
from autograder.quiz.lineinput import LineReader
from autograder.quiz.loader import QuizFile
from autograder.quiz.schema import AnyQuestion
from autograder.quiz.scoring import Outcome, format_points, score_answers
from autograder.quiz.sheets import AnswerSheet, load_sheet, write_sheet
from autograder.quiz.shuffle import display_order, new_seed


class Session:
    """One interactive run through a quiz, resumable from its progress file."""

    def __init__(self, qf: QuizFile, *, seed: int | None, student: str | None,
                 save: Path | None, progress: Path, state: Path | None,
                 restart: bool, history: Path | None = None,
                 questions: list[AnyQuestion] | None = None) -> None:
        self.quiz = qf.quiz
        self.questions = questions if questions is not None else list(qf.quiz.questions)
        self.console = render.make_console()
        self.reader = LineReader(history)
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
        total = len(self.questions)
        points = format_points(sum(q.points for q in self.questions))
        console.print(f"{quiz.title} — {total} questions, {points} points "
                      f"(seed {sheet.seed})", style="bold")
        render.show_description(console, quiz.description)
        if self.resumed:
            done = sum(1 for q in self.questions if q.id in self.outcomes)
            console.print(f"Resuming: {done} of {total} answered, "
                          f"score {format_points(self.score)}. (--restart starts over.)")
        console.print("Ctrl-C saves your progress and quits.", style="dim")
        try:
            numbered = list(enumerate(self.questions, start=1))
            skipped = self.ask_all([(n, q) for n, q in numbered if q.id not in sheet.answers])
            if skipped:
                console.print(f"\nBack to the {len(skipped)} skipped question(s).",
                              style="bold")
                self.ask_all(skipped)
        except (KeyboardInterrupt, EOFError):
            done = len(self.outcomes)
            console.print(f"\nProgress saved: {done} of {total} answered "
                          f"({self.progress}). Run the same command to resume.")
            return render.EXIT_INTERRUPTED
        finally:
            self.reader.save()
        self.finish()
        return 0

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes.values())

    def ask_all(self, todo: list[tuple[int, AnyQuestion]]) -> list[tuple[int, AnyQuestion]]:
        """Ask each question in turn; the ones the learner skips are returned."""
        skipped = []
        for number, q in todo:
            try:
                self.ask(number, q)
            except render.Skipped:
                self.console.print("  Skipped: it comes back at the end.", style="dim")
                skipped.append((number, q))
        return skipped

    def ask(self, number: int, q: AnyQuestion) -> None:
        order = display_order(q, self.sheet.seed)
        render.show_question(self.console, q, order, number=number,
                             total=len(self.questions))
        outcome = render.ask(self.console, self.reader, q, order, rule=self.quiz.rule_for(q))
        self.outcomes[q.id] = outcome
        self.sheet.answers[q.id] = outcome.response
        write_sheet(self.progress, self.sheet)
        answered_max = sum(o.max_score for o in self.outcomes.values())
        render.show_outcome(self.console, q, outcome, running=(self.score, answered_max))
        if self.state_path is not None:
            from autograder.quiz.reviewstate import ReviewState, automatic_rating

            with ReviewState(self.state_path) as state:
                state.record(quiz_id=self.quiz.id, question_id=q.id,
                             rating=automatic_rating(outcome.status), score=outcome.score,
                             max_score=outcome.max_score, answer=outcome.response,
                             origin="take")

    def finish(self) -> None:
        from rich.table import Table

        console, quiz = self.console, self.quiz
        table = Table(title=f"{quiz.title}: results", title_justify="left")
        for column in ("#", "question", "answer", "points"):
            table.add_column(column)
        for number, q in enumerate(self.questions, start=1):
            o = self.outcomes.get(q.id)
            if o is None:
                table.add_row(str(number), q.id, "· skipped", f"0/{format_points(q.points)}")
                continue
            table.add_row(str(number), q.id, f"{o.mark} {o.response}",
                          f"{format_points(o.score)}/{format_points(o.max_score)}")
        console.print()
        console.print(table)
        max_score = sum(q.points for q in self.questions)
        console.print(f"Final score: {format_points(self.score)}/"
                      f"{format_points(max_score)}", style="bold")
        if self.save is not None:
            write_sheet(self.save, self.sheet)
            console.print(f"Answers saved to {self.save}")
        self.progress.unlink(missing_ok=True)
