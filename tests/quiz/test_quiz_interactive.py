"""`quiz take` and `quiz review` driven as a person would: in a real pseudo-terminal (pexpect),
and once in tmux, typing answers (arrow keys included) and reading what is on the screen.

The tests find the letter to type by reading the option text on the screen, like a learner.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest
import yaml
from fsrs import Rating

from autograder.quiz.reviewstate import ReviewState

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r")
PROMPT = "answer> "


class Terminal:
    """A learner at a terminal: runs `nlpgrade quiz ...` in a pty, types, reads the screen."""

    def __init__(self, *args: object, cwd: Path = REPO, data: Path | None = None) -> None:
        env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color",
               "PYTHONIOENCODING": "utf-8"}
        if data is not None:  # the answer history lives in the user data folder
            env["XDG_DATA_HOME"] = str(data)
        self.child = pexpect.spawn(sys.executable, ["-m", "autograder.cli", "quiz",
                                                    *map(str, args)],
                                   cwd=str(cwd), env=env, encoding="utf-8", timeout=60,
                                   dimensions=(50, 120))
        self.screen = ""  # what was shown since the last prompt, without escape codes
        self.history = ""  # everything shown so far

    def _shown(self, text: str) -> str:
        self.screen = ANSI.sub("", text)
        self.history += self.screen
        return self.screen

    def wait_for_prompt(self, prompt: str = PROMPT) -> str:
        self.child.expect_exact(prompt)
        return self._shown(self.child.before)

    def type(self, text: str, *, until: str = PROMPT) -> str:
        """Type an answer and return what the screen shows up to the next prompt."""
        self.child.sendline(text)
        return self.wait_for_prompt(until)

    def finish(self, text: str) -> str:
        """Type the last answer and return what is shown until the program exits."""
        self.child.sendline(text)
        self.child.expect(pexpect.EOF)
        return self._shown(self.child.before)

    def interrupt(self, *, eof: bool = False) -> str:
        self.child.sendeof() if eof else self.child.sendintr()
        self.child.expect(pexpect.EOF)
        return ANSI.sub("", self.child.before)

    def exit_status(self) -> int | None:
        self.child.close()
        return self.child.exitstatus

    def letter(self, option_text: str) -> str:
        """The letter shown in front of an option, as last displayed."""
        found = re.findall(rf"^\s+([a-z])\) {re.escape(option_text)}\s*$", self.history, re.M)
        assert found, f"option {option_text!r} not on screen:\n{self.history}"
        return found[-1]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"state": tmp_path / "state.sqlite3", "progress": tmp_path / "progress.yaml",
            "save": tmp_path / "answers.yaml"}


def take(mini: Path, files: dict[str, Path], *extra: object) -> Terminal:
    return Terminal("take", mini, "--seed", 7, "--state", files["state"], "--progress",
                    files["progress"], *extra, data=files["state"].parent / "data")


def test_a_learner_takes_the_whole_quiz_with_feedback_and_a_running_score(
        mini: Path, files: dict[str, Path]) -> None:
    term = take(mini, files, "--save", files["save"], "--student", "tester")
    screen = term.wait_for_prompt()
    assert "Mini quiz — 7 questions, 8 points (seed 7)" in screen
    assert screen.index("Notation: d is the dimension") < screen.index("Question 1/7")
    assert "Question 1/7 · 1 pt\n" in screen.replace("─", "").replace(" \n", "\n")
    assert "bert" not in screen.split("Question 1/7")[1]  # tags only after answering
    assert "Which token does BERT prepend to every input?" in screen
    assert "d) None of the above" in screen  # pinned, so always last

    screen = term.type("z")
    assert "'z' is not an option here (a-d). Try again." in screen
    cls = term.letter("[CLS]")
    screen = term.type(term.letter("[SEP]"))
    assert "✗ Incorrect (0/1) · score 0/1" in screen
    assert f"Correct answer: {cls}) [CLS]" in screen
    assert "[SEP] separates segments and ends the input." in screen  # the option's feedback
    assert "Why: [CLS] is prepended; its final hidden state summarises the sequence." in screen
    assert "Source: Transformer lecture, slide 'Input' · tags: bert" in screen
    assert "Question 2/7" in screen

    picks = [term.letter(t) for t in ("Masked self-attention", "Encoder-decoder attention",
                                      "Position-wise feed-forward network")]
    screen = term.type(" ".join(picks))
    assert "✓ Correct (1/1) · score 1/2" in screen

    screen = term.type("t")
    assert "✓ Correct (1/1) · score 2/3" in screen and "Type a number" in screen

    screen = term.type("skip")  # the numeric question comes back at the end
    assert "Skipped: it comes back at the end." in screen
    assert "Type an expression in d, mu (μ), sigma (σ)" in screen

    screen = term.type("d*nu^2")
    assert "column 3: unknown name 'nu'" in screen and "Try again." in screen
    # Line editing: type the end first, go left twice with the arrow key, insert "d*".
    term.child.send("μ²" + "\x1b[D" * 2 + "d*\r")
    screen = term.wait_for_prompt()
    assert "\\x1b" not in screen and "unexpected character" not in screen
    assert "✓ Correct (1/1) · score 3/4" in screen

    term.child.send("\x1b[A")  # history: Up recalls the previous answer
    term.child.expect_exact("d*μ²")
    term.child.send("\x15sep\r")  # Ctrl-U clears the line
    screen = term.wait_for_prompt()
    assert "✓ Correct (1/1) · score 4/5" in screen

    steps = ["Tokenize the text", "Map tokens to ids", "Look up embeddings",
             "Run the encoder layers", "Apply the classification head"]
    screen = term.type(" ".join(term.letter(s) for s in steps))
    assert "✓ Correct (2/2) · score 6/7" in screen
    assert "Back to the 1 skipped question(s)." in screen and "Question 4/7" in screen
    screen = term.type("eight")
    assert "'eight' is not a number" in screen and "Try again." in screen
    screen = term.finish("8")
    assert "✓ Correct (1/1) · score 7/8" in screen
    assert "Final score: 7/8" in term.history
    assert f"Answers saved to {files['save']}" in term.history
    assert term.exit_status() == 0

    saved = yaml.safe_load(files["save"].read_text())
    assert (saved["quiz"], saved["student"], saved["seed"]) == ("mini", "tester", 7)
    assert saved["answers"]["mini-symbolic"] == "d*μ²"
    assert not files["progress"].exists()  # finished: nothing left to resume
    log = sqlite3.connect(files["state"]).execute(
        "SELECT question_id, rating, origin FROM review_log ORDER BY id").fetchall()
    assert log[0] == ("mini-single", "Again", "take")
    assert [r[1] for r in log[1:]] == ["Good"] * 6
    assert (files["state"].parent / "data" / "nlpgrade" / "answer-history").is_file()


def test_ctrl_c_saves_progress_and_the_same_command_resumes(
        mini: Path, files: dict[str, Path]) -> None:
    term = take(mini, files)
    term.wait_for_prompt()
    screen = term.type(term.letter("[CLS]"))
    assert "✓ Correct (1/1) · score 1/1" in screen
    after = term.interrupt()
    assert "Progress saved: 1 of 7 answered" in after
    assert "Run the same command to resume." in after
    assert term.exit_status() == 130

    term = take(mini, files)
    screen = term.wait_for_prompt()
    assert "Resuming: 1 of 7 answered, score 1." in screen
    assert "Question 2/7" in screen and "Question 1/7" not in screen
    after = term.interrupt(eof=True)  # Ctrl-D saves too
    assert "Progress saved: 1 of 7 answered" in after
    assert term.exit_status() == 130


def test_review_asks_what_is_due_rates_it_and_reschedules_it(mini: Path,
                                                            tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "quizzes").mkdir(parents=True)
    (course / "assignments").mkdir()
    shutil.copy(mini, course / "quizzes" / "mini.yaml")
    state = tmp_path / "state.sqlite3"
    with ReviewState(state) as rs:
        for qid in ("mini-tf", "mini-short"):
            rs.record(quiz_id="mini", question_id=qid, rating=Rating.Again, score=0,
                      max_score=1, answer="false", origin="take",
                      now=datetime.now(timezone.utc) - timedelta(hours=1))
    term = Terminal("review", "--course", course, "--state", state, "--new-per-day", 0,
                    data=tmp_path / "data")
    screen = term.wait_for_prompt()
    assert "Review: 2 questions (2 due, 0 new; 0 new left today)." in screen
    assert "A uniform language model over |V| words has perplexity |V|." in screen
    screen = term.type("t", until="rate> ")
    assert "✓ Correct (1/1)" in screen
    assert "Enter = Good, e = Easy, h = Hard, a = Again." in screen
    screen = term.type("")  # Enter: Good
    assert "Rated Good. Next review of this question: in 10 minutes" in screen
    screen = term.type("sep", until="rate> ")
    screen = term.finish("e")
    assert "Rated Easy." in screen and "Done: 2/2 right." in screen
    assert term.exit_status() == 0
    with ReviewState(state) as rs:
        assert [row["rating"] for row in rs.log()] == ["Again", "Again", "Good", "Easy"]


def test_a_learner_takes_the_released_copy_in_a_terminal(cli, mini: Path,
                                                         tmp_path: Path) -> None:
    released = tmp_path / "released.yaml"
    assert cli("release", mini, "-o", released)[0] == 0
    save = tmp_path / "handin.yaml"
    term = Terminal("take", released, "--seed", 5, "--save", save, "--student", "cy",
                    data=tmp_path / "data")
    screen = term.wait_for_prompt()
    assert "graded quiz, 7 questions. Answers are saved, not checked." in screen
    for typed in ["a", "a b", "t", "8", "d mu^2", "skip"]:
        screen = term.type(typed)
        assert "Correct" not in screen and "Incorrect" not in screen
    screen = term.finish("a b c d e")
    assert f"Answers saved to {save}: hand this file in." in screen
    saved = yaml.safe_load(save.read_text())
    assert saved["quiz"] == "mini" and saved["seed"] == 5 and "release" in saved
    assert "mini-short" not in saved["answers"]  # skipped: left blank


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_screen_in_tmux_shows_the_question_verdict_and_saved_progress(
        mini: Path, files: dict[str, Path]) -> None:
    session = f"nlpgrade-test-{uuid.uuid4().hex[:8]}"
    command = (f"cd {REPO} && NO_COLOR=1 XDG_DATA_HOME={files['state'].parent / 'data'} "
               f"{sys.executable} -m autograder.cli quiz take {mini} "
               f"--seed 7 --state {files['state']} --progress {files['progress']}")

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True,
                              text=True).stdout

    def screen_until(text: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = tmux("capture-pane", "-p", "-t", session)
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on screen:\n{shown}")

    tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "45", command)
    try:
        tmux("set-option", "-t", session, "remain-on-exit", "on")
        shown = screen_until(PROMPT.strip())  # tmux trims trailing spaces
        assert "Question 1/7 · 1 pt" in shown
        letter = re.search(r"^\s+([a-z])\) \[MASK\]\s*$", shown, re.M)
        assert letter is not None
        tmux("send-keys", "-t", session, letter.group(1), "Enter")
        shown = screen_until("Question 2/7")
        assert "✗ Incorrect (0/1) · score 0/1" in shown
        tmux("send-keys", "-t", session, "C-c")
        shown = screen_until("Progress saved")
        assert "Progress saved: 1 of 7 answered" in shown
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    saved = yaml.safe_load(files["progress"].read_text())
    assert saved["answers"] == {"mini-single": letter.group(1)}
