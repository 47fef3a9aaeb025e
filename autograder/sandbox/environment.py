"""The grader's own Python environment, as the jail shows it.

The sandbox must import exactly what the grader imports (torch, numpy, the course's optional
packages), whatever the installation: a venv (symlinked or `--copies`, with or without
system site-packages), conda, uv, pipx or the system interpreter, located anywhere (/tmp,
/var/tmp, /home, /root, /opt) and installed editable or not. So the jail does not guess from
`sys.executable`; it is handed the pieces explicitly:

- the **interpreter**: the base installation (`sys.base_prefix`: the binary, the stdlib,
  lib-dynload), started with `PYTHONHOME` set to where that installation appears in the jail;
- the **site directories**, in the grader's order (`site.getsitepackages()`, the user site
  when the grader uses it), which the zygote adds with `site.addsitedir`, so `.pth` files
  work as they do for the grader;
- directories that the site directories' `.pth` files name outside themselves (e.g. a
  package installed in develop mode elsewhere) and the grader's PYTHONPATH (HPC modules),
  unless they hold course files. `sitecustomize` is not run in the jail: what it adds is
  not shown, and the preflight says so when grading needs it.

Inside bubblewrap each installation appears at a neutral path under /opt/nlpgrade (nothing
of the host's layout, not even its user names, shows in the jail), except what already lies
under /usr, which the jail shows anyway. A forbidden path (the course, the submissions, the
gradebook) that lies inside a shown installation is covered by an empty read-only mount.
"""

from __future__ import annotations

import os
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

JAIL_ROOT = Path("/opt/nlpgrade")
SYSTEM = Path("/usr")  # shown whole by every jail: paths under it keep their place

# Never shown whole, whatever sys.prefix says: they hold other people's files.
TOO_BROAD = {Path(p) for p in ("/", "/tmp", "/var", "/var/tmp", "/home", "/root", "/srv", "/mnt",
                               "/media", "/opt", "/etc", "/run", "/dev/shm", "/proc", "/sys",
                               "/dev", "/boot")}


class EnvironmentLayoutError(RuntimeError):
    """The grader's environment cannot be shown to the jail safely; the message says why."""


@dataclass(frozen=True)
class Mount:
    """One read-only bind: `host` appears at `jail` inside the sandbox."""

    host: Path
    jail: Path


@dataclass(frozen=True)
class SiteView:
    """A site directory shown in part: an empty folder at `jail` holding only `entries`
    (the top-level files and folders of the allowed distributions) from `host`."""

    host: Path
    jail: Path
    entries: tuple[str, ...]


@dataclass
class PythonEnvironment:
    """Everything the jail needs to run the grader's interpreter with the grader's packages.

    Paths in `executable`, `home`, `site_dirs` and `extra_paths` are as the jail sees them."""

    executable: str
    home: str
    mounts: list[Mount] = field(default_factory=list)
    masks: list[Path] = field(default_factory=list)  # jail paths covered by an empty mount
    views: list[SiteView] = field(default_factory=list)  # site dirs shown in part
    site_dirs: list[str] = field(default_factory=list)
    extra_paths: list[str] = field(default_factory=list)
    library_path: str = ""  # LD_LIBRARY_PATH, when the base installation has a libpython
    description: str = ""  # where the environment lives, for messages (host paths)

    def zygote_config(self) -> dict[str, list[str]]:
        """What the zygote puts on sys.path before it imports anything else."""
        return {"site_dirs": list(self.site_dirs), "extra_paths": list(self.extra_paths)}


def _real(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def base_executable() -> Path:
    """The real interpreter binary behind `sys.executable` (a venv's is a link or a copy)."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    path = _real(base)
    return path if path.is_file() else _real(sys.executable)


def site_directories() -> list[Path]:
    """The grader's site directories, in the order `site` adds them."""
    dirs = [Path(p) for p in site.getsitepackages()]
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    if user and user in sys.path:
        dirs.append(Path(user))
    seen: list[Path] = []
    for d in dirs:
        real = _real(d)
        if real.is_dir() and real not in seen:
            seen.append(real)
    return seen


def pythonpath() -> list[Path]:
    """The grader's PYTHONPATH directories (HPC `module load` puts packages there)."""
    if sys.flags.ignore_environment:
        return []
    found = []
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and os.path.isabs(entry) and _real(entry).is_dir():
            found.append(_real(entry))
    return found


def pth_directories(site_dir: Path) -> list[Path]:
    """Directories named by the `.pth` files of one site directory (not its import lines)."""
    found: list[Path] = []
    try:
        names = sorted(n for n in os.listdir(site_dir) if n.endswith(".pth"))
    except OSError:
        return found
    for name in names:
        try:
            lines = (site_dir / name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                continue
            path = _real(site_dir / line)
            if path.is_dir() and path not in found:
                found.append(path)
    return found


class _Layout:
    """Roots to show and the jail path of each; maps any host path inside a root."""

    def __init__(self, *, neutral: bool) -> None:
        self.neutral = neutral
        self.roots: list[Mount] = []

    def add(self, host: Path, jail_name: str) -> Mount:
        for mount in self.roots:
            if _inside(host, mount.host):
                return mount
        if host in TOO_BROAD:
            raise EnvironmentLayoutError(
                f"the Python installation lives directly in {host}, which cannot be shown to "
                "the sandbox whole: install nlpgrade in a virtual environment "
                "(python3 -m venv ~/.venvs/nlpgrade)")
        jail = host if (not self.neutral or _inside(host, SYSTEM)) else JAIL_ROOT / jail_name
        mount = Mount(host, jail)
        # A root that contains an earlier one replaces it (the earlier maps through it).
        self.roots = [m for m in self.roots if not _inside(m.host, host)] + [mount]
        return mount

    def map(self, host: Path) -> Path:
        for mount in self.roots:
            if _inside(host, mount.host):
                return mount.jail / host.relative_to(mount.host)
        raise KeyError(host)


# Distributions the jail's own code needs, whatever the assignment allows.
ENGINE_PACKAGES = ("pyseccomp",)


def python_environment(*, forbidden: list[Path], neutral: bool = True,
                       packages: list[str] | None = None) -> PythonEnvironment:
    """How the jail runs this grader's interpreter and packages.

    `neutral`: show installations at neutral paths (bubblewrap); False keeps host paths (a
    weak sandbox, which cannot move anything). `forbidden`: paths never to show.
    `packages`: show only these distributions (and what they require) of the site
    directories; None shows all."""
    forbidden = [_real(f) for f in forbidden]
    layout = _Layout(neutral=neutral)
    base = _real(sys.base_prefix)
    layout.add(base, "python")
    base_exec = _real(sys.base_exec_prefix)
    layout.add(base_exec, "python-exec")
    prefix = _real(sys.prefix)
    if prefix != base:
        layout.add(prefix, "venv")
    executable = base_executable()
    if not any(_inside(executable, m.host) for m in layout.roots):
        layout.add(executable.parent, "bin")
    sites = site_directories()
    for i, d in enumerate(sites):
        layout.add(d, f"site/{i}")
    extras: list[Path] = []
    candidates = ([p for d in sites for p in pth_directories(d)] + pythonpath()
                  if packages is None else [])
    for path in candidates:
        if path in extras or path in sites:
            continue
        installed = path.name in ("site-packages", "dist-packages")  # packages, not a course
        if any(_inside(f, path) or (_inside(path, f) and not installed) for f in forbidden):
            continue  # e.g. the course checkout of an editable install of nlpgrade
        if path not in TOO_BROAD:
            extras.append(path)  # on sys.path; mounted unless an installation holds it
    for i, path in enumerate(extras):
        layout.add(path, f"path/{i}")
    for mount in layout.roots:
        # An installation inside a forbidden folder (a .venv inside the course) shows only
        # itself; one that IS a forbidden folder would show all of it.
        clash = next((f for f in forbidden if f == mount.host), None)
        if clash is not None:
            raise EnvironmentLayoutError(
                f"the Python environment {mount.host} is the folder {clash} itself, which the "
                "sandbox must not see: create the virtual environment in a sub-folder "
                "(python3 -m venv .venv) or elsewhere")
    masks = sorted({layout.map(f) for f in forbidden if f.exists()
                    for m in layout.roots if _inside(f, m.host) and f != m.host})
    views = [] if packages is None else [
        SiteView(d, layout.map(d), tuple(sorted(allowed_entries(d, [*packages,
                                                                    *ENGINE_PACKAGES]))))
        for d in sites]
    home = str(layout.map(base))
    if base_exec != base:
        home += os.pathsep + str(layout.map(base_exec))
    libdir = base / "lib"
    has_libpython = any(libdir.glob("libpython3*.so*")) if libdir.is_dir() else False
    return PythonEnvironment(
        executable=str(layout.map(executable)),
        home=home,
        mounts=[m for m in layout.roots if not _inside(m.host, SYSTEM)],
        masks=masks,
        views=views,
        site_dirs=[str(layout.map(d)) for d in sites],
        extra_paths=[str(layout.map(p)) for p in extras],
        library_path=str(layout.map(libdir)) if has_libpython and not _inside(base, SYSTEM)
        else "",
        description=describe(),
    )


def describe() -> str:
    """One line naming the grader's environment, for error messages."""
    kind = "virtual environment" if sys.prefix != sys.base_prefix else (
        "conda environment" if (Path(sys.prefix) / "conda-meta").is_dir() else "installation")
    return f"the {kind} at {sys.prefix} (Python {sys.version.split()[0]})"


def allowed_entries(site_dir: Path, packages: list[str]) -> set[str]:
    """The top-level entries of `site_dir` that belong to `packages` or to what they
    require (read from the distributions' metadata: RECORD and Requires-Dist)."""
    import importlib.metadata as metadata
    import re

    from packaging.requirements import InvalidRequirement, Requirement

    def key(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    here = {key(d.metadata["Name"] or ""): d
            for d in metadata.distributions(path=[str(site_dir)])}
    wanted, entries = [key(p) for p in packages], set()
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen or name not in here:
            continue
        seen.add(name)
        dist = here[name]
        for file in dist.files or []:
            top = str(file).split("/", 1)[0]
            if top not in ("..", "", "__pycache__") and not top.endswith(".pth"):
                entries.add(top)
        for text in dist.requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(key(requirement.name))
    return {e for e in entries if (site_dir / e).exists() or (site_dir / e).is_symlink()}
