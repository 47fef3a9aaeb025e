"""The command line as a user meets it: usage errors, help texts, unreachable databases."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


def nlpgrade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    proc = nlpgrade(cwd=tmp_path)
    assert proc.returncode == 2 and "usage: nlpgrade COMMAND" in proc.stderr


def _actions(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from ((f"{name} {n}", a) for n, a in _actions(sub))
        elif not isinstance(action, argparse._HelpAction):
            yield "/".join(action.option_strings) or action.dest, action


def test_every_argument_of_every_command_has_help() -> None:
    from autograder.cli import COMMANDS

    for command, (module_name, _) in COMMANDS.items():
        module = importlib.import_module(module_name)
        build = getattr(module, "parser", None) or module.build_parser
        silent = [name for name, action in _actions(build()) if not action.help]
        assert silent == [], f"nlpgrade {command}: arguments without help: {silent}"


def test_an_unreachable_database_is_one_clean_line(tmp_path: Path, toy_course: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "gb.db"
    for args in (["quiz", "stats", "bert", "--db", "postgresql://nobody@127.0.0.1:1/x"],
                 ["grade", "toy", str(toy_course / "submissions"), "--course",
                  str(toy_course), "--db", f"sqlite:///{missing}"]):
        proc = nlpgrade(*args, cwd=tmp_path)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 2, out
        assert "Traceback" not in out and "error:" in out
    assert not missing.parent.exists()  # never created behind the user's back
