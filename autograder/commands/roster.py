"""`nlpgrade roster import students.csv`: create the course website's accounts.

The CSV's header names the columns `id`, `name`, `email` (and optionally `role`: student, ta,
instructor). Each new user gets a one-time sign-in link (default) or an initial password
(--passwords); they are written to a credentials file readable by you only (-o), since the
gradebook keeps only their hashes. Importing again updates names, emails and roles and
issues credentials to new users only (--reissue: to everyone, invalidating the old ones).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.commands.common import add_course
from autograder.course import find_course_root
from autograder.gradebook import Gradebook, default_url, safe_url
from autograder.web.config import require_web
from autograder.yamlfile import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade roster", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="create or update users from a CSV class list")
    imp.add_argument("csv", type=Path, help="the class list (header: id,name,email[,role])")
    imp.add_argument("--passwords", action="store_true",
                     help="issue initial passwords instead of one-time sign-in links")
    imp.add_argument("--reissue", action="store_true",
                     help="issue new credentials to every user, not only to new ones")
    imp.add_argument("--base-url", default="http://127.0.0.1:8000",
                     help="the site's public address, for the links (default: %(default)s)")
    imp.add_argument("-o", "--output", type=Path,
                     help="credentials file (default: <csv>.credentials.csv)")
    imp.add_argument("--db", help="gradebook database URL (default: "
                     "sqlite:///<course>/gradebook.db, as `nlpgrade serve`)")
    add_course(imp)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        require_web("roster")
        from autograder.web.accounts import AccountError, Accounts
        from autograder.web.roster import import_roster, write_credentials
    except ConfigError as err:
        print(f"error: {err}")
        return 2
    try:
        url = args.db or default_url(find_course_root(args.course))
        gradebook = Gradebook(url)
        try:
            credentials = import_roster(Accounts(gradebook.engine), args.csv,
                                        issue="passwords" if args.passwords else "links",
                                        base_url=args.base_url, reissue=args.reissue)
        finally:
            gradebook.close()
    except (AccountError, ConfigError) as err:
        print(f"error: {err}")
        return 2
    output = args.output or args.csv.with_name(args.csv.stem + ".credentials.csv")
    issued = write_credentials(output, credentials)
    created = sum(c.created for c in credentials)
    print(f"{len(credentials)} users in {safe_url(url)}: {created} new, "
          f"{len(credentials) - created} updated.")
    kind = "passwords" if args.passwords else "sign-in links"
    print(f"{issued} {kind} written to {output} (readable by you only): send each person "
          "their line, then delete the file." if issued else "No new credentials issued.")
    return 0
