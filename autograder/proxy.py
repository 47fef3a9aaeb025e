"""The `student` object of the tests: proxies whose every use is a request to the sandbox.

`student.causal_mask(5)` fetches a handle to the function, calls it in the sandbox and
decodes the result. Classes work the same way: `layer = student.BertLayer(cfg)` is a handle,
and `layer(x)`, `layer.weight`, `layer.train()` are remote operations.
"""

from __future__ import annotations

from typing import Any

from autograder.sandbox.errors import SandboxCrashed, StudentError
from autograder.sandbox.session import SandboxSession


def _sympy_node(obj: Any) -> dict[str, Any] | None:
    if not (type(obj).__module__ or "").startswith("sympy"):
        return None
    import sympy

    if not isinstance(obj, sympy.Basic):
        return None
    symbols = [[s.name, {k: v for k, v in s.assumptions0.items() if v is not None}]
               for s in sorted(obj.free_symbols, key=lambda s: s.name)
               if isinstance(s, sympy.Symbol)]
    return {"$": "expr", "text": sympy.sstr(obj), "symbols": symbols}


class RemoteObject:
    """A handle to an object that lives in the sandbox."""

    __slots__ = ("_session", "_generation", "_id", "_type_name", "_label")

    def __init__(self, session: SandboxSession, hid: int, type_name: str, label: str) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", session.generation)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_label", label)

    # --- encoding hooks ------------------------------------------------------------------------
    def _check_alive(self) -> None:
        if self._session.generation != self._generation or not self._session.alive():
            raise SandboxCrashed(
                f"{self._label} was lost when the sandbox stopped after an earlier crash or "
                "timeout in this test")

    def _node(self) -> dict[str, Any]:
        self._check_alive()
        return {"$": "handle", "id": self._id, "type": self._type_name}

    def _encode_arg(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, RemoteObject):
            if obj._session is not self._session:
                raise TypeError("a remote object from another submission cannot be sent here")
            return obj._node()
        node = _sympy_node(obj)
        if node is not None:
            return node
        raise TypeError(f"cannot send a {type(obj).__name__} into the sandbox: only data "
                        "crosses (tensors, numbers, strings, containers, handles)")

    def _decoder(self, label: str) -> Any:
        session = self._session

        def on_handle(hid: int, type_name: str) -> RemoteObject:
            return RemoteObject(session, hid, type_name, label)

        return on_handle

    def _request(self, op: str, value: Any = None, *, what: str, **meta: Any) -> tuple[
            dict[str, Any], Any]:
        self._check_alive()
        return self._session.request(op, value, on_object=self._encode_arg,
                                     on_handle=self._decoder(what), what=what,
                                     target=self._id, **meta)

    # --- the remote protocol -------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        what = f"{self._label}.{name}"
        try:
            return self._request("getattr", what=what, attr=name)[1]
        except StudentError as err:
            if err.type_name == "AttributeError":
                raise AttributeError(f"{self._label} has no attribute {name!r}: check the name "
                                     "and that it is defined at the top level") from None
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        self._request("setattr", value, what=f"setting {self._label}.{name}", attr=name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._request("call", [list(args), kwargs], what=f"{self._label}(...)")[1]

    def _instrument(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        from autograder.testing import Instrumented

        header, (result, args_after, kwargs_after) = self._request(
            "call", [list(args), kwargs], what=f"{self._label}(...)", instrument=True)
        probe = header.get("probe") or {}
        shape = probe.get("max_shape")
        return Instrumented(
            result=result, args=tuple(args_after), kwargs=dict(kwargs_after),
            flops=_int_or_none(probe.get("flops")), max_numel=_int_or_none(probe.get("max_numel")),
            max_shape=tuple(int(s) for s in shape) if isinstance(shape, list) else None,
            peak_bytes=_int_or_none(probe.get("peak_bytes")),
            probe_error=str(probe["error"]) if probe.get("error") else None)

    def _measure(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call, with the kernel's CPU time and peak memory of the submission around it."""
        from autograder.measure import Measured

        self._check_alive()
        child = self._session.child
        assert child is not None and child.gpid is not None
        zygote = self._session.zygote
        before = zygote.usage(child.gpid, reset=True)
        result = self(*args, **kwargs)
        after = zygote.usage(child.gpid)
        return Measured(result=result, cpu_s=max(0.0, after["cpu_s"] - before["cpu_s"]),
                        peak_bytes=max(0, after["hwm"] - before["rss"])
                        if before["reset_ok"] else None)

    def __repr__(self) -> str:
        return f"<remote {self._type_name}: {self._label}>"


RemoteCallable = RemoteObject


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class StudentModules:
    """`student` for assignments with several modules: `student.bert`, `student.optimizer`.

    A module that could not be imported is not there: using it raises its import error
    (status `error`), so a test that needs it fails with the reason, and the others run."""

    def __init__(self, modules: dict[str, RemoteObject], sources: dict[str, str],
                 failed: dict[str, StudentError] | None = None) -> None:
        self._modules = modules
        self._sources = sources
        self._failed = failed or {}

    def __getattr__(self, name: str) -> RemoteObject:
        try:
            return self._modules[name]
        except KeyError:
            pass
        err = self._failed.get(name)
        if err is not None:
            raise StudentError(err.type_name, err.message, err.traceback,
                               call=f"importing {name}.py (this test needs it)",
                               missing_module=err.missing_module)
        raise AttributeError(f"no module {name!r} in this submission; modules: "
                             f"{sorted(self._modules)}") from None


def student_proxy(session: SandboxSession, main_modules: list[str],
                  sources: dict[str, str]) -> Any:
    """The `student` fixture's value: one module's handle, or a namespace of modules."""
    handles = {name: RemoteObject(session, hid, "module", name)
               for name, hid in session.modules.items()}
    if len(main_modules) == 1:
        return _SingleModule(handles[main_modules[0]], sources)
    return StudentModules(handles, sources, dict(session.import_errors))


class _SingleModule:
    """`student` for one-module assignments: attribute access goes to the module's handle.

    Handles to the module's functions and classes are cached for the life of the sandbox
    (one round trip saved per call); plain data attributes are fetched every time."""

    def __init__(self, handle: RemoteObject, sources: dict[str, str]) -> None:
        self._handle = handle
        self._sources = sources
        self._cache: dict[str, RemoteObject] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cached = self._cache.get(name)
        if cached is not None and cached._generation == cached._session.generation:
            return cached
        value = getattr(self._handle, name)
        if isinstance(value, RemoteObject):
            self._cache[name] = value
        return value

    def __repr__(self) -> str:
        return repr(self._handle)
