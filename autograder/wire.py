"""The data-only wire format between the grader and the sandbox.

A message is   u64 header length | JSON header | raw buffers, back to back.

The header is {"op": ..., "value": <tree>, "buffers": [nbytes, ...], ...}. A tree is made of
JSON scalars (None, bool, int, float, str) and tagged nodes:

    {"$": "list" | "tuple", "v": [...]}          {"$": "dict", "k": [str...], "v": [...]}
    {"$": "tensor", "dtype", "shape", "buf", "device"}    {"$": "ndarray", "dtype", "shape", "buf"}
    {"$": "dtype", "v": "float32"}   {"$": "device", "v": "cuda:0"}   {"$": "generator", "buf"}
    {"$": "handle", "id": int, "type": str}      {"$": "expr", "text": str, "symbols": [...]}

Tensors are rebuilt with `torch.frombuffer` from an allowlisted dtype after their size has
been checked against the header. Nothing is ever unpickled, and nothing from the peer is
executed: the grader uses this module to read what the sandbox says.

This file is also copied into the sandbox, so it imports only the standard library, numpy
and torch, and works without torch: in a sandbox whose assignment may import numpy only (the
manifest's `packages`), tensors from the grader arrive as numpy arrays of the same dtype and
shape, and everything the student returns is numpy.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # a numpy-only sandbox (see the module docstring)
    torch = None  # type: ignore[assignment]

HEADER_LEN = struct.Struct("<Q")

# The dtypes that cross, by name. Nothing else does.
TENSOR_DTYPES: frozenset[str] = frozenset(
    {"float64", "float32", "float16", "bfloat16", "complex64", "complex128", "int64", "int32",
     "int16", "int8", "uint8", "bool"})
TORCH_DTYPES: dict[str, Any] = {} if torch is None else {
    name: getattr(torch, name) for name in sorted(TENSOR_DTYPES)}
NUMPY_DTYPES: frozenset[str] = frozenset(
    {"float64", "float32", "float16", "complex64", "complex128", "int64", "int32", "int16",
     "int8", "uint8", "bool"}
)


class WireError(ValueError):
    """A message broke the format or a limit. The stream can no longer be trusted."""


@dataclass(frozen=True)
class WireLimits:
    max_header_bytes: int = 8 << 20
    max_payload_bytes: int = 256 << 20
    max_nodes: int = 200_000
    max_depth: int = 64
    max_ndim: int = 16


class ExpressionText(str):
    """A sympy expression from the sandbox, as text. Parse it with autograder.expr."""


# ------------------------------------------------------------------------------- encoding

def _tensor_bytes(t: Any) -> np.ndarray:
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy()
    return t.numpy()


class Encoder:
    """Turns a value into a header tree plus buffers. `on_object` handles everything that is
    not data (the sandbox makes a handle; the grader refuses)."""

    def __init__(self, on_object: Callable[[Any], dict[str, Any]]) -> None:
        self.on_object = on_object
        self.buffers: list[memoryview] = []

    def _buffer(self, arr: np.ndarray) -> int:
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)  # zero-size safe
        self.buffers.append(flat.data)
        return len(self.buffers) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > 64:
            raise WireError("value nested more than 64 levels deep")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) < (1 << 63) else float(value)
        if isinstance(value, float):
            return value
        if isinstance(value, (np.bool_,)):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            if value.dtype.name not in NUMPY_DTYPES:
                return self.on_object(value)
            return {"$": "ndarray", "dtype": value.dtype.name, "shape": list(value.shape),
                    "buf": self._buffer(value)}
        if torch is not None:
            node = self._encode_torch(value)
            if node is not None:
                return node
        if type(value) in (list, tuple):
            return {"$": type(value).__name__, "v": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict and all(isinstance(k, str) for k in value):
            return {"$": "dict", "k": list(value.keys()),
                    "v": [self.encode(v, depth + 1) for v in value.values()]}
        return self.on_object(value)

    def _encode_torch(self, value: Any) -> Any:
        """The node of a torch value, or None when `value` is not one."""
        if isinstance(value, torch.Tensor):
            name = str(value.dtype).removeprefix("torch.")
            if name not in TORCH_DTYPES:
                return self.on_object(value)
            arr = _tensor_bytes(value)
            return {"$": "tensor", "dtype": name, "shape": list(value.shape),
                    "buf": self._buffer(arr), "device": value.device.type}
        if isinstance(value, torch.dtype):
            return {"$": "dtype", "v": str(value).removeprefix("torch.")}
        if isinstance(value, torch.device):
            return {"$": "device", "v": str(value)}
        if isinstance(value, torch.Generator):
            if value.device.type != "cpu":
                return self.on_object(value)
            return {"$": "generator", "buf": self._buffer(value.get_state().numpy())}
        if isinstance(value, torch.Size):
            return {"$": "tuple", "v": [int(s) for s in value]}
        return None


def encode_message(op: str, value: Any = None, *, on_object: Callable[[Any], dict[str, Any]],
                   **meta: Any) -> list[memoryview | bytes]:
    """The frame for one message, as pieces to write in order."""
    enc = Encoder(on_object)
    tree = enc.encode(value)
    header = {"op": op, "value": tree, "buffers": [b.nbytes for b in enc.buffers], **meta}
    raw = json.dumps(header, allow_nan=True, separators=(",", ":")).encode()
    return [HEADER_LEN.pack(len(raw)) + raw, *enc.buffers]


def write_all(fd: int, pieces: list[memoryview | bytes]) -> None:
    for piece in pieces:
        mv = memoryview(piece).cast("B")
        while len(mv):
            mv = mv[os.write(fd, mv):]


# ------------------------------------------------------------------------------- decoding

def parse_header(raw: bytes, limits: WireLimits) -> dict[str, Any]:
    """Parse and validate a header: its buffer table must be well formed and within limits."""
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise WireError(f"malformed header: {err}") from None
    if not isinstance(header, dict) or not isinstance(header.get("op"), str):
        raise WireError("header is not an object with an 'op'")
    sizes = header.get("buffers", [])
    if not isinstance(sizes, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes
    ):
        raise WireError("header 'buffers' must be a list of byte counts")
    total = sum(sizes)
    if total > limits.max_payload_bytes:
        raise WireError(
            f"value too large: {total / 2**20:.1f} MiB > the {limits.max_payload_bytes / 2**20:.0f}"
            " MiB limit")
    return header


class Decoder:
    """Rebuilds a value from a validated header and its buffers."""

    def __init__(self, buffers: list[bytearray], limits: WireLimits,
                 on_handle: Callable[[int, str], Any],
                 on_expr: Callable[[str, list[Any]], Any]) -> None:
        self.buffers = buffers
        self.used = [False] * len(buffers)
        self.limits = limits
        self.on_handle = on_handle
        self.on_expr = on_expr
        self.nodes = 0

    def _take(self, index: Any, nbytes: int) -> bytearray:
        if not isinstance(index, int) or isinstance(index, bool) or not (
            0 <= index < len(self.buffers)
        ):
            raise WireError(f"bad buffer index {index!r}")
        if self.used[index]:
            raise WireError(f"buffer {index} used twice")
        self.used[index] = True
        buf = self.buffers[index]
        if len(buf) != nbytes:
            raise WireError(f"buffer {index}: {len(buf)} bytes, but the shape needs {nbytes}")
        return buf

    def _shape(self, node: dict[str, Any]) -> list[int]:
        shape = node.get("shape")
        if not isinstance(shape, list) or len(shape) > self.limits.max_ndim or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < (1 << 40) for s in shape
        ):
            raise WireError(f"bad shape {shape!r}")
        return shape

    def decode(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise WireError(f"value has more than {self.limits.max_nodes} parts")
        if depth > self.limits.max_depth:
            raise WireError(f"value nested more than {self.limits.max_depth} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict):
            raise WireError(f"unexpected node of type {type(node).__name__}")
        tag = node.get("$")
        if tag in ("list", "tuple"):
            items = node.get("v")
            if not isinstance(items, list):
                raise WireError(f"{tag} node without items")
            out = [self.decode(v, depth + 1) for v in items]
            return out if tag == "list" else tuple(out)
        if tag == "dict":
            keys, values = node.get("k"), node.get("v")
            if not (isinstance(keys, list) and isinstance(values, list)
                    and len(keys) == len(values) and all(isinstance(k, str) for k in keys)):
                raise WireError("malformed dict node")
            return {k: self.decode(v, depth + 1) for k, v in zip(keys, values, strict=True)}
        if tag == "tensor":
            name = node.get("dtype")
            if name not in TENSOR_DTYPES:
                raise WireError(f"dtype {name!r} is not allowed")
            shape = self._shape(node)
            numel = math.prod(shape)
            if torch is None:  # a numpy-only sandbox: the same values as an array
                if name not in NUMPY_DTYPES:
                    raise WireError(f"dtype {name!r} needs torch, which this sandbox lacks")
                dt = np.dtype(name)
                buf = self._take(node.get("buf"), numel * dt.itemsize)
                return np.frombuffer(buf, dtype=dt).reshape(shape).copy()
            dtype = TORCH_DTYPES[name]
            itemsize = torch.empty((), dtype=dtype).element_size()
            buf = self._take(node.get("buf"), numel * itemsize)
            t = torch.frombuffer(buf, dtype=dtype) if numel else torch.empty(0, dtype=dtype)
            t = t.reshape(shape)
            device = node.get("device", "cpu")
            if device == "cuda" and torch.cuda.is_available():
                t = t.to("cuda")
            return t
        if tag == "ndarray":
            name = node.get("dtype")
            if name not in NUMPY_DTYPES:
                raise WireError(f"dtype {name!r} is not allowed")
            shape = self._shape(node)
            dt = np.dtype(name)
            buf = self._take(node.get("buf"), math.prod(shape) * dt.itemsize)
            return np.frombuffer(buf, dtype=dt).reshape(shape)
        if tag == "dtype":
            name = node.get("v")
            if name not in TENSOR_DTYPES:
                raise WireError(f"dtype {name!r} is not allowed")
            if torch is None:
                if name not in NUMPY_DTYPES:
                    raise WireError(f"dtype {name!r} needs torch, which this sandbox lacks")
                return np.dtype(name)
            return TORCH_DTYPES[name]
        if tag == "device":
            spec = node.get("v")
            if not isinstance(spec, str) or spec.split(":")[0] not in ("cpu", "cuda", "meta"):
                raise WireError(f"device {spec!r} is not allowed")
            return spec if torch is None else torch.device(spec)
        if tag == "generator":
            if torch is None:
                raise WireError("a torch.Generator needs torch, which this sandbox lacks")
            index = node.get("buf")
            size = len(self.buffers[index]) if isinstance(index, int) and 0 <= index < len(
                self.buffers) else -1
            state = torch.frombuffer(self._take(index, size), dtype=torch.uint8).clone()
            gen = torch.Generator()
            try:
                gen.set_state(state)
            except RuntimeError as err:
                raise WireError(f"bad generator state: {err}") from None
            return gen
        if tag == "handle":
            hid, type_name = node.get("id"), node.get("type", "object")
            if not isinstance(hid, int) or isinstance(hid, bool) or not isinstance(type_name, str):
                raise WireError("malformed handle")
            return self.on_handle(hid, type_name[:120])
        if tag == "expr":
            text, symbols = node.get("text"), node.get("symbols", [])
            if not isinstance(text, str) or not isinstance(symbols, list):
                raise WireError("malformed expression")
            return self.on_expr(text, symbols)
        raise WireError(f"unknown node tag {tag!r}")


def decode_message(header: dict[str, Any], buffers: list[bytearray], limits: WireLimits, *,
                   on_handle: Callable[[int, str], Any],
                   on_expr: Callable[[str, list[Any]], Any]) -> Any:
    dec = Decoder(buffers, limits, on_handle, on_expr)
    value = dec.decode(header.get("value"))
    if not all(dec.used):
        raise WireError("message carries buffers that no value uses")
    return value


# ------------------------------------------------------------------------------- blocking I/O

def read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    mv = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [mv[got:]])
        if k == 0:
            raise EOFError(f"peer closed after {got} of {n} bytes")
        got += k
    return buf


def read_message(fd: int, limits: WireLimits) -> tuple[dict[str, Any], list[bytearray]]:
    """Blocking read of one message (used inside the sandbox, where blocking is fine)."""
    (length,) = HEADER_LEN.unpack(read_exact(fd, HEADER_LEN.size))
    if length > limits.max_header_bytes:
        raise WireError(f"header of {length} bytes is over the limit")
    header = parse_header(bytes(read_exact(fd, length)), limits)
    return header, [read_exact(fd, n) for n in header["buffers"]]
