"""Where quizzes and a learner's own files live.

Quizzes: `<course>/quizzes/*.yaml`, with the course found as for every other command
(autograder.course.find_course_root: `--course DIR`; else the nearest parent of the current
directory with `assignments/`; else the checkout this package was installed from). A
learner needs no `solutions/`. A learner's review state and unfinished quizzes live in the
user data directory (platformdirs), unless `--state` / `--progress` say otherwise.
"""

from __future__ import annotations

from pathlib import Path

QUIZ_SUFFIXES = (".yaml", ".yml")
STATE_FILE = "quiz-review.sqlite3"


class NotFound(LookupError):
    """A quiz or course that does not exist; the message lists what does."""


def quizzes_dir(course: Path | None = None) -> Path:
    from autograder.course import find_course_root
    from autograder.yamlfile import ConfigError

    try:
        root = find_course_root(course, need_solutions=False)
    except ConfigError as err:
        raise NotFound(str(err)) from None
    folder = root / "quizzes"
    if not folder.is_dir():
        raise NotFound(f"{root}: no quizzes/ folder in this course")
    return folder


def all_quiz_files(course: Path | None = None) -> list[Path]:
    folder = quizzes_dir(course)
    return sorted(p for p in folder.iterdir() if p.suffix in QUIZ_SUFFIXES and p.is_file())


def resolve_quiz(name: str, course: Path | None = None) -> Path:
    """A quiz file from a path or a topic name (`transformer` -> quizzes/transformer.yaml)."""
    as_path = Path(name)
    if as_path.suffix in QUIZ_SUFFIXES or "/" in name:
        if as_path.is_file():
            return as_path
        raise NotFound(f"{name}: no such file")
    files = all_quiz_files(course)
    for path in files:
        if path.stem == name:
            return path
    known = ", ".join(p.stem for p in files) or "none"
    raise NotFound(f"no quiz {name!r} (topics: {known})")


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("nlpgrade", appauthor=False))


def default_state() -> Path:
    return data_dir() / STATE_FILE


def history_file() -> Path:
    """Answers typed in `take` and `review`, for Up/Down recall (readline)."""
    return data_dir() / "answer-history"


def default_progress(quiz_id: str) -> Path:
    return data_dir() / "progress" / f"{quiz_id}.yaml"
