"""The jail, probed from a student's seat (issue 13, items 3-5).

Each probe runs as a student would: a module imported in a real sandbox, its functions called
through the proxy. What it tries must fail with EPERM (or see nothing), and what one
submission leaves behind must be invisible to the next one on the same worker.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.course import load_assignment
from autograder.grading.engine import Options, start_zygote
from autograder.proxy import student_proxy
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import SandboxSession
from autograder.sandbox.zygote_client import Zygote

pytestmark = pytest.mark.security

PROBES = r'''
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)


def _result(code):
    return "ok" if code == 0 else errno.errorcode.get(ctypes.get_errno(), str(code))


def capabilities():
    return [line.split()[1] for line in open("/proc/self/status")
            if line.startswith(("CapEff", "CapPrm", "CapBnd", "CapAmb"))]


def umount_tmp():
    return _result(libc.umount2(b"/tmp", 2))  # MNT_DETACH


def remount_tmp_larger():
    return _result(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 32 | 1 << 5,  # MS_REMOUNT
                              b"size=64g"))


def new_user_namespace():
    return _result(libc.unshare(0x10000000))


def ptrace_supervisor():
    return _result(libc.ptrace(16, os.getppid() or 2, 0, 0))  # PTRACE_ATTACH


def supervisor_memory():
    """Open the mem file of every process this one can see but itself."""
    results = {}
    me = os.readlink("/proc/self")  # this /proc counts pids from outside our namespace
    for pid in os.listdir("/proc"):
        if pid.isdigit() and pid != me and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/mem", "r+b"):
                    results[pid] = "opened"
            except OSError as err:
                results[pid] = errno.errorcode.get(err.errno, str(err.errno))
    return results


def bpf_and_keys():
    return [_result(libc.syscall(321, 0, 0, 0)),   # bpf (x86-64 numbers)
            _result(libc.syscall(250, 0, 0, 0))]   # keyctl


def leave(text):
    written = []
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/opt/nlpgrade", "/run"):
        try:
            with open(os.path.join(folder, "left-behind"), "w") as f:
                f.write(text)
            written.append(folder)
        except OSError:
            pass
    return written


def find_left():
    found = []
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/opt/nlpgrade", "/run"):
        if os.path.exists(os.path.join(folder, "left-behind")):
            found.append(folder)
    return found


def what_i_see():
    return {"mountinfo": open("/proc/self/mountinfo").read(),
            "cmdlines": [open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")
                         for p in os.listdir("/proc") if p.isdigit()],
            "sys_path": __import__("sys").path, "executable": __import__("sys").executable}


def read(path):
    try:
        return open(path).read()[:100]
    except OSError as err:
        return type(err).__name__
'''


@pytest.fixture(scope="module")
def zygote(toy_course: Path) -> Iterator[Zygote]:
    z = start_zygote(load_assignment(toy_course, "toy"), Options())
    yield z
    z.close()


def probe(zygote: Zygote, calls: list[tuple[str, tuple[Any, ...]]]) -> dict[str, Any]:
    """One submission: import the probes, make the calls, end the sandbox."""
    session = SandboxSession(zygote, files={"toy.py": PROBES}, imports=["toy"], limits=Limits(),
                             seed=0, device="cpu", cap_processes=True)
    session.start()
    try:
        proxy = student_proxy(session, ["toy"], {"toy.py": PROBES})
        out = {name: getattr(proxy, name)(*args) for name, args in calls}
        out["missing"] = session.missing_isolation
        return out
    finally:
        session.close()


def test_the_student_has_no_capability_and_cannot_touch_its_mounts(zygote: Zygote) -> None:
    got = probe(zygote, [("capabilities", ()), ("umount_tmp", ()),
                         ("remount_tmp_larger", ()), ("new_user_namespace", ())])
    assert got["missing"] == [], got["missing"]  # the jail reports a complete setup
    assert set(got["capabilities"]) == {"0000000000000000"}
    assert got["umount_tmp"] == "EPERM"
    assert got["remount_tmp_larger"] == "EPERM"
    assert got["new_user_namespace"] == "EPERM"


def test_the_supervisor_and_fork_server_cannot_be_traced_or_read(zygote: Zygote) -> None:
    got = probe(zygote, [("ptrace_supervisor", ()), ("supervisor_memory", ()),
                         ("bpf_and_keys", ())])
    assert got["ptrace_supervisor"] in ("EPERM", "ESRCH")
    assert got["supervisor_memory"] and "opened" not in got["supervisor_memory"].values()
    if os.uname().machine == "x86_64":
        assert got["bpf_and_keys"] == ["EPERM", "EPERM"]


def test_nothing_one_submission_leaves_is_seen_by_the_next(zygote: Zygote) -> None:
    first = probe(zygote, [("leave", ("a covert message",))])
    assert first["leave"] == ["/tmp"]  # its own private /tmp is the only writable place
    second = probe(zygote, [("find_left", ())])
    assert second["find_left"] == []


def test_the_jail_names_no_host_path_of_nlpgrade_or_the_course(zygote: Zygote,
                                                                 toy_course: Path) -> None:
    got = probe(zygote, [("what_i_see", ())])["what_i_see"]
    package = str(Path(__file__).resolve().parents[2] / "autograder")
    for text in [got["mountinfo"], *got["cmdlines"], *got["sys_path"], got["executable"]]:
        assert package not in text and str(toy_course) not in text


@pytest.mark.skipif(not os.access("/usr/local/share", os.W_OK),
                    reason="needs write access to /usr/local/share (run as root)")
def test_a_course_under_usr_is_hidden_inside_the_jail(toy_course: Path) -> None:
    """Container images often put the course under /usr, which the jail shows whole."""
    course = Path("/usr/local/share") / f"nlpgrade-test-course-{os.getpid()}"
    shutil.copytree(toy_course, course)
    try:
        z = start_zygote(load_assignment(course, "toy"), Options())
        try:
            hidden = course / "solutions" / "toy" / "test_hidden.py"
            got = probe(z, [("read", (str(hidden),)), ("read", (str(course / "README.md"),))])
        finally:
            z.close()
        assert got["read"] in ("FileNotFoundError", "PermissionError")
    finally:
        shutil.rmtree(course)
