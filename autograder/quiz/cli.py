"""`nlpgrade quiz ...`: argument parsing only; each subcommand is a module with `main(*, ...)`.

Nothing heavy is imported here, so `nlpgrade quiz --help` costs argparse alone; a command's
module is imported only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from autograder.commands.common import COURSE_HELP

# Help text, written once.
HELP = {
    "take": "answer a quiz in the terminal (or grade an answer file with --answers)",
    "review": "spaced repetition over all quizzes: answer what is due",
    "validate": "check quiz files: schema, answer keys, cited sections, giveaways",
    "grade": "grade a class's answer files into the gradebook",
    "stats": "item analysis: difficulty, discrimination, point-biserial, Cronbach's alpha",
    "export": "export quizzes: Moodle GIFT or Moodle XML for an LMS, or an Anki deck",
    "release": "write a learner's key-free copy of a graded quiz",
    "tag": "only questions with this tag (repeat for several)",
    "quiz": "a quiz file, or a topic name from the course's quizzes/ folder",
    "course": COURSE_HELP,
    "state": "review-state SQLite file (default: in your user data folder)",
    "db": "gradebook database URL (default: sqlite:///<cwd>/gradebook.db)",
    "json": "also write the results as JSON to this file",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nlpgrade quiz", description="Concept quizzes.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, metavar="DIR", help=HELP["course"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    take = sub.add_parser("take", parents=[common], help=HELP["take"], description=HELP["take"])
    take.add_argument("quiz", help=HELP["quiz"])
    take.add_argument("--answers", type=Path, metavar="FILE",
                      help="grade this answer file without prompting")
    take.add_argument("--json", dest="json_out", type=Path, metavar="FILE", help=HELP["json"])
    take.add_argument("--seed", type=int, help="option shuffle seed (default: a new one)")
    take.add_argument("--student", help="your name, written into saved answers")
    take.add_argument("--save", type=Path, metavar="FILE",
                      help="when finished, write your answers here (to hand in)")
    take.add_argument("--progress", type=Path, metavar="FILE",
                      help="where unfinished answers are kept (default: user data folder)")
    take.add_argument("--restart", action="store_true", help="ignore saved progress")
    take.add_argument("--state", type=Path, metavar="FILE", help=HELP["state"])
    take.add_argument("--no-review", dest="record_review", action="store_false",
                      help="do not feed answers into spaced repetition")
    take.add_argument("--tag", dest="tags", action="append", metavar="TAG", help=HELP["tag"])

    review = sub.add_parser("review", parents=[common], help=HELP["review"],
                            description=HELP["review"])
    review.add_argument("quizzes", nargs="*", metavar="QUIZ", help="limit to these quizzes")
    review.add_argument("--state", type=Path, metavar="FILE", help=HELP["state"])
    review.add_argument("--due", dest="list_only", action="store_true",
                        help="only show what is due and when")
    review.add_argument("--limit", type=int, default=20, help="questions per session (20)")
    review.add_argument("--new-per-day", "--new", dest="new_per_day", type=int, metavar="N",
                        help="new questions per day, remembered for later sessions (10)")
    review.add_argument("--tag", dest="tags", action="append", metavar="TAG", help=HELP["tag"])

    validate = sub.add_parser("validate", parents=[common], help=HELP["validate"],
                              description=HELP["validate"])
    validate.add_argument("files", nargs="*", type=Path, metavar="FILE",
                          help="quiz files (default: every quiz of the course)")

    grade = sub.add_parser("grade", parents=[common], help=HELP["grade"],
                           description=HELP["grade"])
    grade.add_argument("quiz", help=HELP["quiz"])
    grade.add_argument("answers_dir", type=Path, metavar="ANSWERS_DIR",
                       help="one answer file per student (*.yaml, *.yml, *.json)")
    grade.add_argument("--json", dest="json_out", type=Path, metavar="FILE", help=HELP["json"])
    grade.add_argument("--db", help=HELP["db"])

    stats = sub.add_parser("stats", parents=[common], help=HELP["stats"],
                           description=HELP["stats"])
    stats.add_argument("quiz", help=HELP["quiz"])
    stats.add_argument("answers_dir", nargs="?", type=Path, metavar="ANSWERS_DIR",
                       help="grade these answer files (default: read the gradebook)")
    stats.add_argument("--db", help=HELP["db"])
    stats.add_argument("--json", dest="json_out", type=Path, metavar="FILE", help=HELP["json"])

    export = sub.add_parser("export", parents=[common], help=HELP["export"],
                            description=HELP["export"])
    export.add_argument("quizzes", nargs="*", metavar="QUIZ",
                        help="quizzes to export (default: all)")
    export.add_argument("--format", dest="fmt", choices=["gift", "moodle", "anki"],
                        default="gift", help="gift (text), moodle (Moodle XML) or anki (.apkg)")
    export.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write here instead of standard output (required for anki)")

    release = sub.add_parser("release", parents=[common], help=HELP["release"],
                             description=HELP["release"])
    release.add_argument("quiz", help=HELP["quiz"])
    release.add_argument("-o", "--output", type=Path, metavar="FILE", required=True,
                         help="where to write the learner's copy (YAML)")
    return parser


def main(argv: list[str]) -> int:
    args = vars(build_parser().parse_args(argv))
    command = args.pop("command")
    module = importlib.import_module(f"autograder.quiz.{command}")
    from autograder.quiz.loader import QuizError
    from autograder.quiz.paths import NotFound
    from autograder.yamlfile import ConfigError

    try:
        return int(module.main(**args))
    except (QuizError, NotFound, ConfigError) as err:  # ConfigError: e.g. an unreachable --db
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
