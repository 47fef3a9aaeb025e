"""`nlpgrade serve`: the course website. Students upload and read their feedback, learners take
the quizzes, the staff keep the gradebook.

Embedded defaults: the SQLite gradebook of the course (<course>/gradebook.db), a queue in that
database and a warm pool of grading workers in this process. --db postgresql+psycopg://... puts
the gradebook (and the queue) on PostgreSQL; --scheduler tcp://... grades on a Dask cluster.
`nlpgrade serve --demo` runs the bundled course with demo users on a throwaway gradebook.
See docs/web.md (reverse proxy, HTTPS, accounts).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.commands.common import add_course
from autograder.course import find_course_root, list_assignments
from autograder.gradebook import default_url, safe_url
from autograder.web.config import ServerConfig, require_web
from autograder.yamlfile import ConfigError

if TYPE_CHECKING:
    from autograder.web.site import Site

DEMO_STAFF = [("instructor", "Ines Instructor", "instructor"), ("ta", "Theo TA", "ta")]
DEMO_SLUG = "masking"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "%(default)s; behind a reverse proxy keep it on loopback)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--db", help="gradebook database URL (default: sqlite:///<course>/gradebook.db)")
    p.add_argument("--data", type=Path, metavar="DIR", help="the server's own files: the "
                   "session key, the grading spool, review states (default: <course>/.serve)")
    p.add_argument("--workers", type=int, default=2, help="grading workers (default: 2)")
    p.add_argument("--warm", metavar="SLUG,...", help="assignments whose workers start with "
                   "the server (default: the first by deadline); others start on demand")
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on a Dask cluster instead "
                   "(e.g. tcp://10.0.0.5:8786; docs/scale.md)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="where the sandbox runs the students' code (default: cpu)")
    p.add_argument("--secure-cookies", choices=["auto", "on", "off"], default="auto",
                   help="send the session cookie over HTTPS only (auto: on unless --host is a "
                   "loopback address; use `on` behind an HTTPS reverse proxy)")
    p.add_argument("--root-path", default="", help="URL prefix when the proxy serves the site "
                   "under a path, e.g. /nlp101")
    p.add_argument("--no-grading", dest="grade", action="store_false",
                   help="serve pages only; another server on the same --db grades the queue")
    p.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even without bubblewrap (the student's code could read files)")
    p.add_argument("--demo", action="store_true", help="the bundled course on a throwaway "
                   "gradebook, with a demo instructor, TA and students (/demo signs them in)")
    p.add_argument("--fast-password-hashes", action="store_true", help=argparse.SUPPRESS)
    add_course(p)
    return p


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warm_list(course: Path, given: str | None, workers: int) -> tuple[str, ...]:
    known = list_assignments(course)
    if given:
        slugs = tuple(s.strip() for s in given.split(",") if s.strip())
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ConfigError(f"--warm {given}: no assignment {unknown[0]!r} (known: "
                              f"{', '.join(known)})")
        return slugs
    from autograder.course import load_assignment

    dated = sorted(known, key=lambda s: (load_assignment(course, s).manifest.due is None, s))
    return tuple(dated[:1])


def build_config(args: argparse.Namespace) -> tuple[ServerConfig, Path]:
    course = find_course_root(args.course)
    if args.demo:
        data = Path(tempfile.mkdtemp(prefix="nlpgrade-demo-"))
        db = args.db or f"sqlite:///{data / 'gradebook.db'}"
        warm: tuple[str, ...] = (DEMO_SLUG,) if DEMO_SLUG in list_assignments(course) else ()
    else:
        data = (args.data or course / ".serve").resolve()
        db = args.db or default_url(course)
        warm = warm_list(course, args.warm, args.workers)
    secure = {"on": True, "off": False}.get(args.secure_cookies, not is_loopback(args.host))
    config = ServerConfig(course=course, db_url=db, data_dir=data, workers=max(1, args.workers),
                          scheduler=args.scheduler, warm=warm, device=args.device,
                          allow_weak=args.allow_weak_isolation, secure_cookies=secure,
                          demo=args.demo, fast_hashes=args.fast_password_hashes,
                          grade=args.grade, root_path=args.root_path)
    return config, course


def seed_demo(site: Site, course: Path, base: str) -> str:
    """Demo users (staff, and the example students of masking with their uploads queued);
    returns the instructor's sign-in link."""
    accounts = site.accounts
    for login, name, role in DEMO_STAFF:
        accounts.upsert(login, name=name, role=role)
    examples = course / "examples" / "submissions" / DEMO_SLUG
    if examples.is_dir():
        assignment = site.assignment(DEMO_SLUG)
        for folder in sorted(p for p in examples.iterdir() if p.is_dir()):
            accounts.upsert(folder.name, name=folder.name.capitalize(),
                            email=f"{folder.name}@example.edu")
            files = [(m, m, (folder / m).read_bytes()) for m in assignment.manifest.modules
                     if (folder / m).is_file()]
            if files:
                site.queue.submit(DEMO_SLUG, folder.name, files)
    return f"{base}/signin/link/{accounts.new_link('instructor')}"


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("nlpgrade").setLevel(logging.INFO)
    try:
        require_web("serve")
        config, course = build_config(args)
        from autograder.web.app import build_site, create_app

        site = build_site(config)
        app = create_app(config, site=site)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}{args.root_path}"
    print(f"nlpgrade serve: {course} · gradebook {safe_url(site.config.db_url)} · "
          f"{'Dask ' + args.scheduler if args.scheduler else str(config.workers) + ' workers'}"
          f" · {base}/", flush=True)
    if args.demo:
        link = seed_demo(site, course, base)
        print(f"demo: sign in as anyone at {base}/demo, or as the instructor with {link}",
              flush=True)
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", root_path=args.root_path)
    return 0
