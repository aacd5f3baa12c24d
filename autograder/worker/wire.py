"""The wire format between the grader and a worker: a JSON header plus raw tensor bytes.

A message is ``u32 header length | JSON header | payload``. Tensors inside the header are written
as ``{"$t": i}`` and described in ``header["tensors"][i]`` (dtype, shape, offset, nbytes) over the
payload. Nothing is ever pickled: the reader validates dtype, shape and size before it builds a
tensor, so a worker cannot make the grader run code or allocate without bound.
"""
from __future__ import annotations

import json
import math
import struct

import torch

# Only these dtypes cross the boundary; anything else a student returns is described, not sent.
DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
ITEMSIZE = {k: torch.empty((), dtype=v).element_size() for k, v in DTYPES.items()}

MAX_HEADER = 1 << 20          # 1 MiB of JSON is far more than any honest reply needs
MAX_PAYLOAD = 64 << 20        # 64 MiB of tensor bytes per message
MAX_DIMS = 8


class WireError(Exception):
    """A message that breaks the format: too large, malformed, or lying about its tensors."""


def _tensor_to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def encode(obj) -> bytes:
    """Encode a JSON-like object that may hold tensors (and tuples) into one message."""
    tensors: list[dict] = []
    chunks: list[bytes] = []
    offset = 0

    def enc(v):
        nonlocal offset
        if isinstance(v, torch.Tensor):
            if v.dtype not in NAMES:
                return {"$obj": f"torch.Tensor[{v.dtype}]", "repr": ""}
            # A transposed view (the checks hand students non-contiguous inputs) travels as its
            # contiguous transpose and is rebuilt as the same kind of view on the other side.
            transposed = (v.dim() >= 2 and not v.is_contiguous()
                          and v.transpose(-1, -2).is_contiguous())
            data = _tensor_to_bytes(v.transpose(-1, -2) if transposed else v)
            tensors.append({"dtype": NAMES[v.dtype], "shape": list(v.shape), "offset": offset,
                            "nbytes": len(data), "device": str(v.device),
                            "requires_grad": bool(v.requires_grad), "transposed": transposed})
            chunks.append(data)
            offset += len(data)
            return {"$t": len(tensors) - 1}
        if isinstance(v, tuple):
            return {"$tuple": [enc(x) for x in v]}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            if any(str(k).startswith("$") for k in v):   # would read as a wire marker: opaque
                return {"$obj": "builtins.dict", "repr": _safe_repr(v)}
            return {str(k): enc(x) for k, x in v.items()}
        if v is None or isinstance(v, (bool, int, float, str)):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**62:
                return {"$obj": "int", "repr": str(v)[:40]}
            return v
        return {"$obj": type(v).__module__ + "." + type(v).__qualname__, "repr": _safe_repr(v)}

    header = {"body": enc(obj), "tensors": tensors}
    head = json.dumps(header, allow_nan=True).encode()
    return struct.pack("<I", len(head)) + head + b"".join(chunks)


def _safe_repr(v) -> str:
    try:
        return repr(v)[:200]
    except BaseException:  # a hostile __repr__ must not break the reply
        return "<unprintable>"


def decode_header(head: bytes) -> dict:
    if len(head) > MAX_HEADER:
        raise WireError("header too large")
    try:
        header = json.loads(head)
    except ValueError as e:
        raise WireError(f"malformed header: {e}") from None
    if not isinstance(header, dict) or not isinstance(header.get("tensors"), list):
        raise WireError("malformed header")
    return header


def payload_size(header: dict) -> int:
    """Validate every tensor description and return the payload length it implies."""
    end = 0
    for d in header["tensors"]:
        if not isinstance(d, dict) or d.get("dtype") not in DTYPES:
            raise WireError("unknown dtype")
        shape = d.get("shape")
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape)):
            raise WireError("bad shape")
        itemsize = ITEMSIZE[d["dtype"]]
        nbytes = math.prod(shape) * itemsize
        if d.get("nbytes") != nbytes or d.get("offset") != end:
            raise WireError("tensor size does not match its shape")
        end += nbytes
        if end > MAX_PAYLOAD:
            raise WireError(f"reply larger than {MAX_PAYLOAD >> 20} MiB")
    return end


def decode(header: dict, payload: bytes, device: str | None = None):
    """Rebuild the object of a validated message; tensors are fresh CPU (or ``device``) copies."""
    descs = header["tensors"]

    def tensor(i):
        if not isinstance(i, int) or not 0 <= i < len(descs):
            raise WireError("bad tensor reference")
        d = descs[i]
        dtype = DTYPES[d["dtype"]]
        raw = bytearray(payload[d["offset"]:d["offset"] + d["nbytes"]])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        shape = list(d["shape"])
        if d.get("transposed") is True and len(shape) >= 2:
            shape[-1], shape[-2] = shape[-2], shape[-1]
            t = t.reshape(shape).transpose(-1, -2)
        else:
            t = t.reshape(shape)
        return t.to(device) if device else t

    def dec(v):
        if isinstance(v, dict):
            if "$t" in v:
                return tensor(v["$t"])
            if "$tuple" in v:
                return tuple(dec(x) for x in v["$tuple"])
            if "$obj" in v:
                return Opaque(str(v["$obj"]), str(v.get("repr", "")))
            return {k: dec(x) for k, x in v.items()}
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v

    return dec(header["body"])


class Opaque:
    """Something a student returned that is not data we accept: only its type name and repr."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return f"<{self.type_name} object>"

    def __eq__(self, other):
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)


# ---- framing over a stream socket -------------------------------------------------------------

def send(sock, obj) -> None:
    sock.sendall(encode(obj))


def _recv_exact(sock, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        buf += chunk
    return bytes(buf)


def recv(sock, device: str | None = None):
    """Read one message; returns ``(object, header)``. Raises WireError or EOFError."""
    (n,) = struct.unpack("<I", _recv_exact(sock, 4))
    if n > MAX_HEADER:
        raise WireError("header too large")
    header = decode_header(_recv_exact(sock, n))
    payload = _recv_exact(sock, payload_size(header))
    return decode(header, payload, device), header


def roundtrip(obj):
    """Encode and decode in memory: the same copies and checks as a real crossing."""
    msg = encode(obj)
    (n,) = struct.unpack("<I", msg[:4])
    header = decode_header(msg[4:4 + n])
    payload = msg[4 + n:]
    if len(payload) != payload_size(header):
        raise WireError("payload length mismatch")
    return decode(header, payload), header
