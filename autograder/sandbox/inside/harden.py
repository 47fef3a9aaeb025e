"""The last steps before a student's code runs: no capabilities, and a seccomp filter.

Runs INSIDE the jail, in the submission's pid 1, after its namespaces and private /tmp are
set up and before anything of the student's is imported. The new user namespace gave this
process every capability inside it; they are all dropped here (effective, permitted,
inheritable, ambient and the bounding set), so the student cannot unmount its /tmp, remount
it larger, or mount anything. The seccomp filter (libseccomp, through pyseccomp) then refuses
the system calls a grading sandbox never needs: new namespaces, mounts, ptrace and
cross-process memory access, kernel keyrings, BPF, perf, io_uring, module loading and the
like. `no_new_privs` is already set by the zygote, so nothing can be regained through exec.

Each step reports what it could not do; the grader shows that in the isolation label.
"""

from __future__ import annotations

import ctypes
import errno
from typing import Any

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x2000000, 0x4000000, 0x8000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME = 0x10000000, 0x20000000, 0x40000000, 0x80
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                   CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME)

# Refused with EPERM. Grouped by what they would allow.
DENIED = (
    # filesystems and namespaces: leaving the jail's view, or changing it
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at",
    "name_to_handle_at", "quotactl", "swapon", "swapoff",
    # other processes: tracing, reading or writing their memory, stealing their descriptors
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # kernel attack surface a numerical program has no use for
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "lookup_dcookie",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "syslog", "acct", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime",
    "fanotify_init", "vhangup", "iopl", "ioperm",
)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


def drop_capabilities() -> list[str]:
    """Drop every capability this process has; returns what could not be done."""
    problems: list[str] = []
    for cap in range(last_cap() + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            problems.append(f"bounding set ({errno.errorcode.get(ctypes.get_errno(), '?')})")
            break
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        problems.append(f"capset ({errno.errorcode.get(ctypes.get_errno(), '?')})")
    return problems


def import_pyseccomp() -> Any:
    """pyseccomp, which finds libseccomp with ctypes.util.find_library: that runs ldconfig,
    which finds nothing in the jail. The loader itself does: fall back to the soname."""
    import ctypes.util

    original = ctypes.util.find_library

    def find(name: str) -> str | None:
        found = original(name)
        return "libseccomp.so.2" if found is None and name == "seccomp" else found

    ctypes.util.find_library = find
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = original
    return pyseccomp


def seccomp_filter() -> Any:
    """The filter (not loaded). Raises ImportError/OSError when libseccomp is unavailable."""
    seccomp = import_pyseccomp()

    flt = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED:
        try:
            flt.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            pass  # a call this kernel or architecture does not have
    # The dumpable flag stays as the jail set it (the fork server resets peak memory with it).
    flt.add_rule(seccomp.ERRNO(errno.EPERM), "prctl", seccomp.Arg(0, seccomp.EQ, PR_SET_DUMPABLE))
    for flag in NAMESPACE_FLAGS:  # fork and threads stay allowed; new namespaces do not
        flt.add_rule(seccomp.ERRNO(errno.EPERM), "clone",
                     seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    try:  # clone3 hides its flags in memory: ENOSYS makes libc fall back to clone
        flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    except (OSError, ValueError, RuntimeError):
        pass
    return flt


def install_seccomp() -> list[str]:
    try:
        seccomp_filter().load()
    except Exception as err:  # pyseccomp raises RuntimeError when libseccomp is absent
        return [f"seccomp ({type(err).__name__}: {err}; install libseccomp2)"[:200]]
    return []


def harden() -> list[str]:
    """Drop capabilities, then install the filter; returns what is missing."""
    return drop_capabilities() + install_seccomp()


def preload() -> None:
    """Import pyseccomp (and libseccomp) once in the zygote: children inherit it."""
    try:
        import_pyseccomp()
    except Exception:  # reported per submission by install_seccomp
        pass
