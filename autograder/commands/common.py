"""Help texts and options shared by several subcommands: each is written once, here.

Imported by `nlpgrade quiz` too, so it imports nothing heavy at module level."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only where it prints: `nlpgrade quiz` starts fast
    from rich.console import Console

COURSE_HELP = ("the course folder, holding assignments/ and solutions/ (default: the nearest "
               "such folder above the current one, else the checkout nlpgrade was installed "
               "from)")
GRADESCOPE_ROOT_HELP = ("Gradescope's root folder, holding submission/, source/ (the unzipped "
                        "autograder) and results/ (default: /autograder)")


def add_course(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, metavar="DIR", help=COURSE_HELP)


def print_error(console: Console, err: object) -> None:
    """`error: MESSAGE` on one logical line; the message is never read as rich markup (it
    may quote a student's file name or text)."""
    from rich.text import Text

    console.print(Text.assemble(("error: ", "bold red"), str(err)), highlight=False,
                  soft_wrap=True)
