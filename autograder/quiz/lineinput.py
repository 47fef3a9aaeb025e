"""Reading a learner's answers with line editing and history (GNU readline where it exists).

Without readline, Python's input() hands arrow keys through as escape sequences ('\\x1b[D'),
which then fail to parse as answers. With it, the arrows move the cursor, Up/Down recall
earlier answers, and the history is kept in the user data folder between sessions.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import ModuleType

HISTORY_LENGTH = 500


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input()
        return None
    return readline


class LineReader:
    """input() with editing and a persistent history file (None: history in memory only)."""

    def __init__(self, history: Path | None = None) -> None:
        self.history = history
        self.readline = _readline()
        if self.readline is None:
            return
        self.readline.set_auto_history(True)
        self.readline.set_history_length(HISTORY_LENGTH)
        # A fresh reader starts from the file, not from another reader's lines.
        self.readline.clear_history()
        if history is not None and history.is_file():
            with contextlib.suppress(OSError):
                self.readline.read_history_file(str(history))

    def read(self, prompt: str) -> str:
        """One line, without its newline. EOFError and KeyboardInterrupt propagate."""
        return input(prompt)

    def save(self) -> None:
        if self.readline is None or self.history is None:
            return
        with contextlib.suppress(OSError):
            self.history.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(str(self.history))
