"""The `nlpgrade` command line: a thin dispatcher.

Each subcommand lives in its own module with a `main(argv)` entry point, imported lazily so
that `nlpgrade quiz ...` never pays for torch.
"""

from __future__ import annotations

import importlib
import os
import sys

# subcommand -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "grade": ("autograder.commands.grade", "grade a folder of submissions with hidden tests"),
    "check": ("autograder.commands.check", "run the public tests on your file, in the sandbox"),
    "release": ("autograder.commands.release", "generate the student stubs from the references"),
    "prove": ("autograder.commands.prove",
              "prove a test suite: reference full, stub 0, mistakes lose points"),
    "demo": ("autograder.commands.demo", "grade the bundled example submissions"),
    "report": ("autograder.commands.report",
               "class report: scores CSV, plots, HTML summary, feedback per student"),
    "gradescope": ("autograder.commands.gradescope",
                   "build a Gradescope autograder zip; run it inside Gradescope"),
    "serve": ("autograder.commands.serve",
              "the course website: submissions, feedback, quizzes, gradebook"),
    "roster": ("autograder.commands.roster",
               "create the website's accounts from a class list (CSV)"),
    "quiz": ("autograder.quiz.cli",
             "concept quizzes: take, review, validate, release, grade, stats, export"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: nlpgrade COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `nlpgrade COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(usage())
        return 0
    if not args:  # a command is required: usage on stderr and a usage error, as argparse does
        print(usage(), file=sys.stderr)
        return 2
    if args[0] == "--version":
        from autograder import __version__

        print(f"nlpgrade {__version__}")
        return 0
    # pydantic looks for third-party plugins through importlib.metadata on its first model:
    # about 60 ms with a data-science environment installed, for plugins we never use.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    entry = COMMANDS.get(args[0])
    if entry is None:
        print(f"nlpgrade: unknown command {args[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(entry[0])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
