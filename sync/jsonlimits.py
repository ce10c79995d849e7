"""JSON from strangers, parsed within bounds: size, nesting depth and number of containers.

`json.loads` on hostile bytes can recurse until Python gives up (deep nesting) or build
millions of tiny objects from a few megabytes. Both are checked on the raw bytes first, with
C-speed scans (strings blanked by one regular expression, then the brackets counted), so the
parser only ever sees a document of a bounded shape.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A JSON string: quote, then any run of non-quote non-backslash bytes or escapes, quote.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class JsonLimitError(ValueError):
    """The document is not JSON, or is larger, deeper or busier than allowed."""


def loads_bounded(
    data: bytes, *, max_bytes: int, max_depth: int = 32, max_containers: int = 200_000
) -> Any:
    """Parse `data` as JSON; raises JsonLimitError (with a reason a person can read) when it
    exceeds a bound or is not JSON."""
    if len(data) > max_bytes:
        raise JsonLimitError(f"JSON of {len(data)} bytes is over the limit of {max_bytes}")
    blanked = _STRING.sub(b'""', data)
    if blanked.count(b"{") + blanked.count(b"[") > max_containers:
        raise JsonLimitError(f"JSON has more than {max_containers} objects and arrays")
    brackets = _BRACKET.findall(blanked)
    depth = deepest = 0
    for bracket in brackets:
        if bracket in (b"{", b"["):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > max_depth:
                    raise JsonLimitError(f"JSON is nested deeper than {max_depth} levels")
        else:
            depth -= 1
    try:
        return json.loads(data)
    except RecursionError as exc:  # the scan above should make this unreachable
        raise JsonLimitError("JSON is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonLimitError(f"not JSON: {str(exc)[:200]}") from exc
