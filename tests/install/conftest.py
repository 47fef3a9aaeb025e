"""Real virtual environments and a real wheel, for the installation tests."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO


def make_venv(parent: Path, *, copies: bool = False, inherit: bool = True,
              name: str = "venv") -> Path:
    """A venv of the interpreter running the suite, in a fresh folder under `parent`.

    `inherit`: it sees this environment's packages through a `.pth` file (a path line,
    which the jail mirrors, and an addsitedir line, so that the editable install of this
    checkout works on the grader side). `--system-site-packages` would not do: run from a
    venv (as in CI), it would show the *base* interpreter's packages, without torch."""
    folder = Path(tempfile.mkdtemp(prefix="nlpgrade-venv-", dir=parent)) / name
    args = [sys.executable, "-m", "venv", "--without-pip", str(folder)]
    if copies:
        args.insert(3, "--copies")
    subprocess.run(args, check=True)
    if inherit:
        (site_dir,) = (folder / "lib").glob("python3*/site-packages")
        lines = []
        for parent_site in site.getsitepackages():
            lines += [parent_site, f"import site; site.addsitedir({parent_site!r})"]
        (site_dir / "_nlpgrade_parent.pth").write_text("\n".join(lines) + "\n")
    return folder


def run_nlpgrade(venv: Path, args: list[str], *, cwd: Path,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m autograder.cli ARGS` with the venv's interpreter, outside the checkout."""
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    full_env.update(env or {})
    return subprocess.run([str(venv / "bin" / "python"), "-m", "autograder.cli", *args],
                          capture_output=True, text=True, cwd=cwd, env=full_env, timeout=600)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nlpgrade's wheel, built from the files git tracks (what a fresh clone has)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of nlpgrade")
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z", "autograder", "pyproject.toml",
                              "README.md"], cwd=REPO, capture_output=True, check=True
                             ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(source)], check=True)
    (built,) = out.glob("nlpgrade-*.whl")
    return built
