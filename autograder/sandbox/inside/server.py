"""The call server. Runs INSIDE the jail as pid 1 of the submission's own pid namespace.

It writes the submitted modules into the private /tmp, imports each one on its own (a module
that raises is reported, and the others still load), and answers requests
from the grader: call, getattr, setattr, release, seed, exit. Results go back through
`wire` as data; anything that is not data stays here and is referred to by a handle.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import traceback
from typing import Any

import wire

SUBMISSION_DIR = "/tmp/submission"
LIMITS = wire.WireLimits()


class Registry:
    """Objects that stay in the sandbox, by handle id."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.next_id = 1

    def add(self, obj: Any) -> int:
        hid = self.next_id
        self.next_id += 1
        self.objects[hid] = obj
        return hid

    def node(self, obj: Any) -> dict[str, Any]:
        return {"$": "handle", "id": self.add(obj), "type": type(obj).__name__}

    def get(self, hid: int) -> Any:
        if hid not in self.objects:
            raise LookupError(f"handle {hid} is not (or no longer) valid")
        return self.objects[hid]


def student_traceback(exc: BaseException) -> str:
    """The traceback cut to the frames of the student's files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(SUBMISSION_DIR + "/")]
    for f in frames:
        f.filename = os.path.basename(f.filename)
    lines = traceback.format_list(frames)
    return ("Traceback (your code):\n" + "".join(lines)).rstrip() if lines else ""


def error_reply(exc: BaseException) -> dict[str, Any]:
    message = str(exc)
    if isinstance(exc, SystemExit):
        message = f"your code called sys.exit({exc.code!r}); return a value instead"
    elif isinstance(exc, MemoryError):
        message = (message + " (the sandbox's memory limit was reached)").strip()
    reply = {"type": type(exc).__name__, "message": message[:4000],
             "traceback": student_traceback(exc)[-6000:]}
    if isinstance(exc, ImportError) and isinstance(exc.name, str):
        reply["name"] = exc.name[:200]  # checked by the grader against the jail, not trusted
    return reply


def make_expr(text: str, symbols: list[Any]) -> Any:
    import sympy

    names = {name: sympy.Symbol(name, **assumptions) for name, assumptions in symbols}
    return sympy.sympify(text, locals=names)


def expr_node(obj: Any) -> dict[str, Any] | None:
    mod = type(obj).__module__ or ""
    if mod.startswith("sympy"):
        import sympy

        if isinstance(obj, sympy.Basic):
            return {"$": "expr", "text": sympy.sstr(obj), "symbols": []}
    return None


class Server:
    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd
        self.registry = Registry()

    # --- encoding ---------------------------------------------------------------------------
    def on_object(self, obj: Any) -> dict[str, Any]:
        node = expr_node(obj)
        return node if node is not None else self.registry.node(obj)

    def send(self, op: str, value: Any = None, **meta: Any) -> None:
        try:
            pieces = wire.encode_message(op, value, on_object=self.on_object, **meta)
        except BaseException as exc:  # a value whose conversion raised, e.g. a broken subclass
            pieces = wire.encode_message(
                "error", None, on_object=self.registry.node,
                type=type(exc).__name__,
                message=f"your return value could not be sent to the grader: {exc}"[:4000],
                traceback=student_traceback(exc))
        sys.stdout.flush()
        sys.stderr.flush()
        wire.write_all(self.wfd, pieces)

    def receive(self) -> tuple[dict[str, Any], Any]:
        header, buffers = wire.read_message(self.rfd, LIMITS)
        value = wire.decode_message(header, buffers, LIMITS,
                                    on_handle=lambda hid, _t: self.registry.get(hid),
                                    on_expr=make_expr)
        return header, value

    # --- requests ---------------------------------------------------------------------------
    def load(self, req: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
        """Write the files and import each module on its own: {"modules": name -> handle,
        "failed": name -> error}. A module that raises is left out (a later module that
        imports it raises again, with its own traceback); the grader decides what a failure
        costs."""
        os.makedirs(SUBMISSION_DIR, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(SUBMISSION_DIR, name), "w", encoding="utf-8") as f:
                f.write(text)
        sys.path.insert(0, SUBMISSION_DIR)
        modules: dict[str, int] = {}
        failed: dict[str, dict[str, Any]] = {}
        for name in req["import"]:
            try:
                module = importlib.import_module(name)
            except BaseException as exc:
                sys.modules.pop(name, None)
                failed[name] = error_reply(exc)
                continue
            modules[name] = self.registry.add(module)
        return {"modules": modules, "failed": failed}

    def call(self, req: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> None:
        target = self.registry.get(req["target"])
        fn = getattr(target, req["attr"]) if req.get("attr") else target
        if req.get("instrument"):
            import probes

            report = probes.run_probed(fn, tuple(args), kwargs)
            if report.exception is not None:
                raise report.exception
            self.send("ok", [report.result, list(args), kwargs], probe=report.numbers())
            return
        self.send("ok", fn(*args, **kwargs))

    def handle(self, header: dict[str, Any], value: Any) -> bool:
        op = header["op"]
        if op == "call":
            args, kwargs = value
            self.call(header, args, kwargs)
        elif op == "getattr":
            self.send("ok", getattr(self.registry.get(header["target"]), header["attr"]))
        elif op == "setattr":
            setattr(self.registry.get(header["target"]), header["attr"], value)
            self.send("ok", None)
        elif op == "release":
            for hid in value:
                self.registry.objects.pop(hid, None)
            self.send("ok", None)
        elif op == "seed":
            seed_everything(int(header["seed"]))
            self.send("ok", None)
        elif op == "exit":
            self.send("ok", None)
            return False
        else:
            self.send("error", None, type="ProtocolError", message=f"unknown op {op!r}",
                      traceback="")
        return True

    def loop(self) -> int:
        while True:
            try:
                header, value = self.receive()
            except EOFError:
                return 0
            try:
                if not self.handle(header, value):
                    return 0
            except BaseException as exc:
                self.send("error", None, **error_reply(exc))


def seed_everything(seed: int) -> None:
    """Seed random, numpy and torch (where the sandbox has it). (torch.manual_seed would also
    queue a lazy CUDA seed, recording a stack trace each time: milliseconds per test. Seed
    CUDA only where it is.)"""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.random.default_generator.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)


def serve(rfd: int, wfd: int, spawn: dict[str, Any]) -> int:
    """Entry point in the grandchild. Returns the process exit code."""
    torch = sys.modules.get("torch")  # imported by the zygote, unless numpy-only
    if torch is not None:
        torch.set_num_threads(1)
        if spawn.get("device") == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
    server = Server(rfd, wfd)
    header, files = server.receive()
    seed_everything(int(header.get("seed", 0)))
    server.send("ready", None, **server.load(header, files))
    return server.loop()
