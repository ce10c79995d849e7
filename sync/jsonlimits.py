"""JSON from strangers, parsed within bounds: size, nesting depth and number of containers.

`json.loads` on hostile bytes can recurse until Python gives up (deep nesting) or build
millions of tiny objects from a few megabytes. Both are checked on the raw bytes first, at C
speed: escapes are dropped, everything but quotes and brackets is deleted, the text between
quote pairs (string contents) is cut out, and what remains is the document's bracket
structure, whose length and running depth are counted. So the parser only ever sees a
document of a bounded shape.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 / -1 as int8


class JsonLimitError(ValueError):
    """The document is not JSON, or is larger, deeper or busier than allowed."""


def structure(data: bytes) -> bytes:
    """The brackets of `data` outside its strings, in order (for valid JSON: its shape)."""
    plain = _ESCAPE.sub(b"", data) if b"\\" in data else data
    return b"".join(plain.translate(None, _NOT_STRUCTURE).split(b'"')[::2])


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON data (a scalar is 0), walked without recursion and
    stopping as soon as it passes `limit`."""
    if not isinstance(value, dict | list):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return deepest


def loads_bounded(
    data: bytes, *, max_bytes: int, max_depth: int = 32, max_containers: int = 200_000
) -> Any:
    """Parse `data` as JSON; raises JsonLimitError (with a reason a person can read) when it
    exceeds a bound or is not JSON."""
    if len(data) > max_bytes:
        raise JsonLimitError(f"JSON of {len(data)} bytes is over the limit of {max_bytes}")
    shape = structure(data)
    if shape.count(b"{") + shape.count(b"[") > max_containers:
        raise JsonLimitError(f"JSON has more than {max_containers} objects and arrays")
    if len(shape) > max_depth:  # shallower than max_depth for certain otherwise
        steps = np.frombuffer(shape.translate(_STEPS), dtype=np.int8)
        if int(np.cumsum(steps, dtype=np.int64).max()) > max_depth:
            raise JsonLimitError(f"JSON is nested deeper than {max_depth} levels")
    try:
        # orjson: strict JSON (no NaN or Infinity), about half json.loads' time, and a
        # recursion limit of its own.
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonLimitError(f"not JSON: {str(exc)[:200]}") from exc
