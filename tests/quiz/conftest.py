"""Shared helpers for the quiz tests: the sample quiz, answer files, and the CLI in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from autograder.quiz.cli import main as quiz_main

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def mini() -> Path:
    """A quiz with one question of each type (tests/quiz/data/mini.yaml)."""
    return DATA / "mini.yaml"


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, object], Path]:
    def write(name: str, data: object) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False,
                                                                 allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `nlpgrade quiz ARGS...` in-process; returns (exit status, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        rc = quiz_main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run
