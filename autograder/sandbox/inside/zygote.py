"""The fork server. Runs INSIDE the jail (bubblewrap where available), never in the grader.

It drops to an unprivileged uid, imports torch once, then forks one child per submission:

    zygote ── child (setsid; unshare user/pid/net/ipc/mount namespaces; uid map)
                └── grandchild = pid 1 of a fresh pid namespace: private size-capped /tmp,
                    rlimits, then `server.serve` imports the student's code and answers calls.

Killing the grandchild kills every process the student started (they live in its pid
namespace); `sweep` also kills anything left in the zygote's own pid namespace, so nothing
outlives its submission. The zygote holds no secret and no student source (children read
their source from their own pipe), and it never initialises CUDA or runs a parallel op,
which would be unsafe to fork.

Control protocol on a SOCK_SEQPACKET socket: one JSON object per packet, file descriptors
passed with SCM_RIGHTS.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import sys
import time
from typing import Any

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
MS_NOSUID, MS_NODEV = 2, 4

# Exit codes of the child that mean "the jail itself could not be built" (not the student).
SETUP_FAILED = 120


def drop_privileges(uid: int, gid: int) -> None:
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # children of other submissions cannot ptrace us


def set_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def build_namespaces(tmp_mb: int) -> list[str]:
    """In the child: new user/pid/net/ipc/mount namespaces. Returns what could not be done."""
    missing: list[str] = []
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # needed to write our own uid_map
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWUTS
    if libc.unshare(flags) != 0:
        missing.append(f"namespaces ({os.strerror(ctypes.get_errno())})")
        return missing
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        with open(path, "w") as f:
            f.write(text)
    # Non-dumpable again at once: no process of the submission may ptrace this supervisor or
    # open its /proc/<pid>/mem (its children inherit the flag, and harden() adds seccomp).
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    return missing


def mount_private_tmp(tmp_mb: int) -> bool:
    opts = f"size={tmp_mb}m,mode=1777".encode()
    return libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts) == 0


def child_main(req: dict[str, Any], rfd: int, wfd: int, outfd: int, pidfd: int) -> None:
    """The supervisor of one submission. Never returns."""
    os.setsid()
    os.dup2(outfd, 1)
    os.dup2(outfd, 2)
    os.close(outfd)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    missing = build_namespaces(req["tmp_mb"]) if req.get("namespaces", True) else ["namespaces"]
    setup_r, setup_w = os.pipe()
    gpid = os.fork()
    if gpid == 0:
        os.close(pidfd)
        os.close(setup_r)
        os.setsid()  # a process group of its own: kill(0) cannot reach the supervisor
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if "namespaces" not in " ".join(missing) and not mount_private_tmp(req["tmp_mb"]):
            missing.append("private /tmp")
        os.chdir("/tmp")
        import harden  # already imported by the zygote: free

        # Dumpable, so that the fork server (same uid, outside this user namespace) may
        # reset its peak-memory counter for measured calls (usage.py); the filter below then
        # forbids ptrace and changing this flag again.
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        missing += harden.harden()
        # Reported before any student code runs, through a pipe the student never holds:
        # what the isolation label says is the jail's word, not the student's.
        os.write(setup_w, json.dumps(missing).encode())
        os.close(setup_w)
        set_limits(req["rlimits"])
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        import server  # already imported by the zygote: free

        code = server.serve(rfd, wfd, req)
        os._exit(code)
    os.close(setup_w)
    report = _read_all(setup_r)
    os.close(setup_r)
    try:
        missing = [str(m)[:200] for m in json.loads(report)][:20]
    except ValueError:
        missing = ["the sandbox's setup did not finish"]
    os.write(pidfd, json.dumps({"gpid": gpid, "missing": missing}).encode())
    os.close(pidfd)
    os.close(rfd)
    os.close(wfd)
    while True:
        try:
            _, status = os.waitpid(gpid, 0)
            break
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) & 0xFF)


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _session_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[3])
    except (OSError, ValueError, IndexError):
        return None


def sweep(keep: set[int], sessions: set[int] | None) -> int:
    """SIGKILL every process in our pid namespace except `keep`; returns how many.

    Without a pid namespace of our own (`sessions` given), only the sessions of our children
    are swept: the rest of /proc belongs to other people."""
    killed = 0
    for _ in range(50):
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        victims = [p for p in pids if p not in keep
                   and (sessions is None or _session_of(p) in sessions)]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        while True:  # reap our own children
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        time.sleep(0.005)
    return killed


def fork_with_retry(me: int, sessions: set[int] | None, timeout_s: float = 10.0) -> int:
    """fork(), retrying while the process limit of our uid is still held by the dying
    processes of an earlier fork bomb. Returns -1 if it never succeeds."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return os.fork()
        except BlockingIOError:
            if time.monotonic() > deadline:
                return -1
            sweep({1, me}, sessions)
            time.sleep(0.05)


def wait_status(pid: int, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return {"reaped": True}
        if done:
            if os.WIFSIGNALED(status):
                return {"signal": os.WTERMSIG(status)}
            return {"exit": os.WEXITSTATUS(status)}
        if time.monotonic() > deadline:
            return {"running": True}
        time.sleep(0.002)


def _import_wire() -> None:
    """In the jail, wire.py sits beside this file; in a weak sandbox it is in the package."""
    try:
        import wire  # noqa: F401
    except ImportError:
        sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
        from autograder import wire as package_wire

        sys.modules["wire"] = package_wire


def setup_path(python: dict[str, list[str]]) -> None:
    """The grader's site directories, as the jail shows them (the interpreter runs with -S)."""
    import site

    for directory in python.get("site_dirs", []):
        site.addsitedir(directory)
    for path in python.get("extra_paths", []):
        if path not in sys.path:
            sys.path.append(path)


def find(names: list[str]) -> dict[str, bool]:
    """Which top-level packages this environment has (nothing is imported)."""
    import importlib.util

    found = {}
    for name in names:
        try:
            found[name] = importlib.util.find_spec(name.partition(".")[0]) is not None
        except (ImportError, ValueError):
            found[name] = False
    return found


def main() -> None:
    # `python -S` leaves the script's directory on sys.path; make sure ours comes first.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    ctl = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(ctl.recv(1 << 20))
    drop_privileges(config["uid"], config["gid"])
    setup_path(config.get("python", {}))
    os.environ.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    with_torch = config.get("torch", True)  # False: the assignment allows numpy only
    module = "torch" if with_torch else "numpy"
    try:
        if with_torch:
            import torch

            torch.set_num_threads(1)  # before any op: no thread pool to break across fork
        module = "numpy"
        import numpy  # noqa: F401

        for module in config.get("preload", []):
            __import__(module)
        module = "nlpgrade's sandbox code (wire, probes, server, harden)"
        _import_wire()
        import harden
        import server  # noqa: F401
        import usage  # noqa: F401

        if with_torch:
            import probes  # noqa: F401

        harden.preload()
    except BaseException as exc:  # the environment cannot grade: say what is missing, and why
        ctl.send(json.dumps({
            "op": "broken", "module": getattr(exc, "name", None) or module,
            "error": f"{type(exc).__name__}: {exc}"[:2000], "sys_path": sys.path[:50],
            "executable": sys.executable, "prefix": sys.prefix}).encode())
        return
    me = os.getpid()
    own_pidns = bool(config.get("own_pid_namespace"))
    sessions: set[int] | None = None if own_pidns else set()
    torch_module = sys.modules.get("torch")
    ctl.send(json.dumps({"op": "ready", "pid": me, "uid": os.getuid(),
                         "torch": getattr(torch_module, "__version__", None)}).encode())
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, 1 << 16, 4)
        except (ConnectionError, OSError):
            return
        if not msg:
            return
        req = json.loads(msg)
        op = req["op"]
        if op == "spawn":
            pid_r, pid_w = os.pipe()
            pid = fork_with_retry(me, sessions)
            if pid < 0:
                for fd in (*fds, pid_r, pid_w):
                    os.close(fd)
                ctl.send(json.dumps({"op": "spawn_failed", "error": "too many processes of "
                                     "an earlier submission are still exiting"}).encode())
                continue
            if pid == 0:
                ctl.close()
                os.close(pid_r)
                try:
                    child_main(req, fds[0], fds[1], fds[2], pid_w)
                except BaseException:  # the jail's own failure: say why, on the output pipe
                    import traceback

                    traceback.print_exc()
                    sys.stderr.flush()
                finally:
                    os._exit(SETUP_FAILED)
            os.close(pid_w)
            for fd in fds:
                os.close(fd)
            info = json.loads(_read_all(pid_r) or b"{}")
            os.close(pid_r)
            if sessions is not None:
                sessions.add(pid)
            ctl.send(json.dumps({"op": "spawned", "pid": pid, "gpid": info.get("gpid"),
                                 "missing": info.get("missing", ["setup"])}).encode())
        elif op == "wait":
            ctl.send(json.dumps({"op": "status", **wait_status(req["pid"],
                                                             req.get("timeout_s", 2.0))}).encode())
        elif op == "usage":
            import usage

            ctl.send(json.dumps({"op": "usage", **usage.usage(int(req["root"]),
                                                               reset=bool(req.get("reset")))
                                 }).encode())
        elif op == "find":
            ctl.send(json.dumps({"op": "found", "found": find(req.get("names", []))}).encode())
        elif op == "sweep":
            killed = sweep({1, me}, sessions)
            ctl.send(json.dumps({"op": "swept", "killed": killed}).encode())
        elif op == "exit":
            sweep({1, me}, sessions)
            return


if __name__ == "__main__":
    main()
