"""The data-only wire format: what crosses, and what the grader refuses."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from autograder import wire

LIMITS = wire.WireLimits(max_payload_bytes=1 << 20)


def roundtrip(value, limits=LIMITS):  # type: ignore[no-untyped-def]
    pieces = wire.encode_message("ok", value, on_object=lambda o: {"$": "handle", "id": 7,
                                                                    "type": type(o).__name__})
    header = wire.parse_header(bytes(pieces[0][8:]), limits)
    buffers = [bytearray(bytes(p)) for p in pieces[1:]]
    return wire.decode_message(header, buffers, limits, on_handle=lambda i, t: ("handle", i, t),
                               on_expr=lambda text, s: ("expr", text))


def raw(header: dict, buffers: list[bytes] = ()):  # type: ignore[assignment,no-untyped-def]
    parsed = wire.parse_header(json.dumps(header).encode(), LIMITS)
    return wire.decode_message(parsed, [bytearray(b) for b in buffers], LIMITS,
                               on_handle=lambda i, t: ("handle", i, t),
                               on_expr=lambda text, s: text)


@pytest.mark.parametrize("value", [
    torch.randn(3, 4), torch.zeros(0, 5), torch.arange(6).reshape(2, 3).t(),
    torch.tensor([True, False]), torch.ones(2, dtype=torch.bfloat16),
    torch.ones(2, dtype=torch.complex64), torch.tensor(3.5),
])
def test_tensors_cross_with_shape_dtype_and_values(value):
    got = roundtrip(value)
    assert type(got) is torch.Tensor and got.dtype == value.dtype and got.shape == value.shape
    assert torch.equal(got, value)


def test_containers_numbers_strings_dtypes_devices_and_generators_cross():
    gen = torch.Generator().manual_seed(5)
    value = {"a": [1, 2.5, None, True, "x"], "b": (torch.float32, torch.device("cpu")),
             "c": np.arange(4, dtype=np.int32), "g": gen, "size": torch.Size([2, 3])}
    got = roundtrip(value)
    assert got["a"] == [1, 2.5, None, True, "x"]
    assert got["b"] == (torch.float32, torch.device("cpu"))
    assert got["c"].dtype == np.int32 and list(got["c"]) == [0, 1, 2, 3]
    assert torch.equal(torch.rand(3, generator=got["g"]),
                       torch.rand(3, generator=torch.Generator().manual_seed(5)))
    assert got["size"] == (2, 3)


def test_anything_else_becomes_a_handle_never_a_pickle():
    class Liar:
        def __eq__(self, other):  # type: ignore[no-untyped-def]
            return True

    assert roundtrip(Liar()) == ("handle", 7, "Liar")
    assert roundtrip(b"\x80\x04pickle") == ("handle", 7, "bytes")
    assert roundtrip({1: "int keys"}) == ("handle", 7, "dict")


def test_a_tensor_subclass_arrives_as_a_plain_tensor_of_its_data():
    class Sneaky(torch.Tensor):
        pass

    got = roundtrip(torch.zeros(2).as_subclass(Sneaky))
    assert type(got) is torch.Tensor and torch.equal(got, torch.zeros(2))


@pytest.mark.parametrize("header, buffers, problem", [
    ({"op": "ok", "value": {"$": "tensor", "dtype": "object", "shape": [1], "buf": 0},
      "buffers": [8]}, [b"\0" * 8], "not allowed"),
    ({"op": "ok", "value": {"$": "tensor", "dtype": "float32", "shape": [4], "buf": 0},
      "buffers": [8]}, [b"\0" * 8], "needs 16"),
    ({"op": "ok", "value": {"$": "tensor", "dtype": "float32", "shape": [-1], "buf": 0},
      "buffers": [4]}, [b"\0" * 4], "bad shape"),
    ({"op": "ok", "value": {"$": "tensor", "dtype": "float32", "shape": [1], "buf": 3},
      "buffers": [4]}, [b"\0" * 4], "bad buffer index"),
    ({"op": "ok", "value": [{"$": "tensor", "dtype": "float32", "shape": [1], "buf": 0}] * 2,
      "buffers": [4]}, [b"\0" * 4], "unexpected node"),
    ({"op": "ok", "value": {"$": "list", "v": [{"$": "tensor", "dtype": "float32",
                                                 "shape": [1], "buf": 0}] * 2},
      "buffers": [4]}, [b"\0" * 4], "used twice"),
    ({"op": "ok", "value": None, "buffers": [4]}, [b"\0" * 4], "no value uses"),
    ({"op": "ok", "value": {"$": "pickle", "v": "gASV"}, "buffers": []}, [], "unknown node"),
    ({"op": "ok", "value": {"$": "device", "v": "file:///etc"}, "buffers": []}, [],
     "not allowed"),
    ({"op": "ok", "value": {"$": "dict", "k": [1], "v": [2]}, "buffers": []}, [],
     "malformed dict"),
])
def test_the_decoder_refuses_malformed_or_dangerous_messages(header, buffers, problem):
    with pytest.raises(wire.WireError, match=problem):
        raw(header, buffers)


def test_oversized_payloads_are_refused_from_the_header_before_reading():
    header = {"op": "ok", "value": None, "buffers": [1 << 30]}
    with pytest.raises(wire.WireError, match="too large"):
        wire.parse_header(json.dumps(header).encode(), LIMITS)


def test_deeply_nested_values_are_refused():
    node: object = 1
    for _ in range(100):
        node = {"$": "list", "v": [node]}
    with pytest.raises(wire.WireError, match="levels deep"):
        raw({"op": "ok", "value": node, "buffers": []})


def test_a_message_is_a_length_prefixed_header_then_raw_buffers():
    pieces = wire.encode_message("ok", torch.ones(2), on_object=lambda o: {})
    (length,) = struct.unpack("<Q", bytes(pieces[0][:8]))
    header = json.loads(bytes(pieces[0][8:8 + length]))
    assert header["value"]["$"] == "tensor" and header["buffers"] == [8]
    assert bytes(pieces[1]) == torch.ones(2).numpy().tobytes()
