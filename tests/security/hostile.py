"""The hostile submissions of the security suite, each with what it must score.

Each attack is a masking.py built at test time from the reference (the "honest part"), so that
an attack which also solves the task must still get exactly what its honest part deserves.
Function-level attacks replace `extended_attention_mask`, whose tests are the ones named
"extended" (no other test calls it), so everything else must still pass.

`{canary}` in a source is replaced by a grader-side folder the attack must not read or
write, `{port}` by a loopback port the grader listens on, `{neighbour}` by the honest
neighbour's file, and `{solutions}` by the course's solutions folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attack:
    name: str
    source: str  # appended to the honest reference unless `pure`
    expect: str  # "full" | "zero" | "extended" | "import_error"
    pure: bool = False
    statuses: tuple[str, ...] = ()  # for "extended": the status the extended tests must get
    message: str = ""  # must appear in the feedback of the affected tests / the message
    extra_files: dict[str, str] = field(default_factory=dict)


def replace_extended(body: str) -> str:
    return ("\n\ndef extended_attention_mask(attention_mask, dtype=None):\n"
            + "".join(f"    {line}\n" for line in body.strip().splitlines()))


ATTACKS: list[Attack] = [
    Attack("os_exit_at_import", "import os\nos._exit(0)\n", "import_error", pure=True,
           message="os._exit"),
    Attack("sys_exit_in_a_function", replace_extended("import sys\nsys.exit(3)"), "extended",
           statuses=("error",), message="sys.exit"),
    Attack("os_exit_in_a_function", replace_extended("import os\nos._exit(0)"), "extended",
           statuses=("crashed",), message="os._exit"),
    Attack("infinite_loop_at_import", "while True:\n    pass\n", "import_error",
           message="module level"),
    Attack("sleep_at_import", "import time\ntime.sleep(3600)\n", "import_error",
           message="longer than"),
    Attack("memory_bomb", replace_extended("import torch\nreturn torch.ones(8 << 30)"),
           "extended", statuses=("error", "crashed"), message=""),
    Attack("list_memory_bomb", replace_extended("x = [0] * (1 << 40)\nreturn x"), "extended",
           statuses=("error", "crashed"), message="MemoryError"),
    Attack("fork_swarm", replace_extended(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
        "extended", statuses=("timeout", "crashed")),
    Attack("stdout_flood", replace_extended("while True:\n    print('x' * 10000)"), "extended",
           statuses=("crashed",), message="printed more than"),
    Attack("kill_the_parents", "import os, signal\n"
           "for pid in (0, 1, 2, -1, os.getppid()):\n"
           "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n",
           "full"),  # pid 1 of its own namespace: the kernel shields it; nothing else is visible
    Attack("write_outside", "import os\n"
           "for path in ('{canary}/owned', '{neighbour}', '/usr/owned', '/owned',"
           " '{solutions}/owned'):\n"
           "    try:\n        open(path, 'w').write('owned')\n"
           "    except OSError as err:\n        print('blocked', path, type(err).__name__)\n",
           "full"),
    Attack("read_other_files", "import glob\nfor pattern in ('{canary}/*', '{neighbour}',"
           " '{solutions}/*/*', '/tmp/*', '/tmp/*/*', '/root/*', '/home/*', '/work/*/*'):\n"
           "    for path in glob.glob(pattern):\n"
           "        try:\n            print(path, open(path).read()[:200])\n"
           "        except OSError:\n            pass\n", "full"),
    Attack("network", "import socket\n"
           "for family, address in ((socket.AF_INET, ('127.0.0.1', {port})),"
           " (socket.AF_UNIX, '\\0nlpgrade-test')):\n"
           "    try:\n        s = socket.socket(family, socket.SOCK_STREAM)\n"
           "        s.settimeout(1)\n        s.connect(address)\n        s.sendall(b'owned')\n"
           "    except OSError as err:\n        print('blocked', address, err)\n", "full"),
    Attack("read_environment", "import os\nprint(dict(os.environ))\n"
           "for p in ('/proc/1/environ', '/proc/2/environ', '/proc/self/environ'):\n"
           "    try:\n        print(p, open(p, 'rb').read())\n"
           "    except OSError as err:\n        print('blocked', p, err)\n"
           + replace_extended("import os\nreturn str(dict(os.environ))"),
           "extended", statuses=("failed",)),
    Attack("import_the_solutions", "import sys\nsys.path[:0] = ['{solutions}/masking',"
           " '{solutions}']\n"
           "try:\n    import test_hidden\n    print(open(test_hidden.__file__).read())\n"
           "except ImportError as err:\n    print('blocked', err)\n", "full"),
    Attack("monkeypatch_comparisons", "import torch, numpy\n"
           "torch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
           "torch.Tensor.__eq__ = lambda *a, **k: True\n"
           "torch.testing.assert_close = lambda *a, **k: None\n"
           "numpy.allclose = lambda *a, **k: True\n"
           "def _zero(*a, **k):\n    return torch.zeros(1)\n"
           "for _n in ('padding_mask', 'causal_mask', 'key_mask', 'sliding_window_mask',"
           " 'masked_attention', 'extended_attention_mask', 'mlm_mask'):\n"
           "    globals()[_n] = _zero\n", "zero", pure=True),
    Attack("lying_eq_objects", "class Liar:\n"
           "    def __eq__(self, other):\n        return True\n"
           "    __ne__ = lambda self, other: False\n"
           "    shape = property(lambda self: (1,))\n"
           "def _liar(*a, **k):\n    return Liar()\n"
           "for _n in ('padding_mask', 'causal_mask', 'key_mask', 'sliding_window_mask',"
           " 'masked_attention', 'extended_attention_mask', 'mlm_mask'):\n"
           "    globals()[_n] = _liar\n", "zero", pure=True),
    Attack("tensor_subclass", "import torch\n"
           "class Sneaky(torch.Tensor):\n"
           "    def __eq__(self, other):\n        return True\n"
           "    @classmethod\n"
           "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
           "        return True\n"
           + replace_extended("import torch\nreturn torch.zeros(1, 1, 1, 3).as_subclass(Sneaky)"),
           "extended", statuses=("failed", "error")),
    Attack("pickle_payload", "import os, pickle\n"
           "class Boom:\n    def __reduce__(self):\n"
           "        return (os.system, ('touch {canary}/pickled',))\n"
           + replace_extended("import pickle\nreturn pickle.dumps(Boom())"),
           "extended", statuses=("failed", "error")),
    Attack("segfault", replace_extended("import ctypes\nreturn ctypes.string_at(0)"),
           "extended", statuses=("crashed",), message="SIGSEGV"),
    Attack("huge_return_value", replace_extended("import torch\nreturn torch.zeros(64 << 20)"),
           "extended", statuses=("crashed",), message="too large"),
    Attack("ignore_sigterm", "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
           + replace_extended("while True:\n    pass"), "extended", statuses=("timeout",)),
    Attack("background_process_outlives_its_submission", "import os, time, ctypes\n"
           "if os.fork() == 0:\n    os.setsid()\n"
           "    if os.fork() == 0:\n"
           "        ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)\n"
           "        time.sleep(30)\n        open('{canary}/lingered', 'w').write('owned')\n"
           "    os._exit(0)\n", "full"),
    Attack("conftest_and_friends_next_to_the_submission", "", "full", extra_files={
        "conftest.py": "open('{canary}/conftest_ran', 'w').write('owned')\n",
        "pytest.ini": "[pytest]\naddopts = -p no:python\n",
        "sitecustomize.py": "open('{canary}/sitecustomize_ran', 'w').write('owned')\n",
        "torch.py": "open('{canary}/torch_shadowed', 'w').write('owned')\n"}),
    Attack("binary_garbage", "", "import_error", pure=True, message="not UTF-8"),
    Attack("symlink_to_the_reference", "", "import_error", pure=True,
           message="symbolic link"),
    Attack("ptrace_the_zygote", "import ctypes, os\n"
           "for pid in range(1, 8):\n"
           "    try:\n        print(pid, open(f'/proc/{pid}/environ', 'rb').read()[:100])\n"
           "    except OSError as err:\n        print('blocked', pid, err)\n"
           "    print('ptrace', pid, ctypes.CDLL(None).ptrace(16, pid, 0, 0))\n", "full"),
]
