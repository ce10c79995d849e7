"""The centre's fast encoding (orjson) never changes what it accepts: every hash and signature
is decided exactly as the reference encoder (json.dumps) decides it, and bounded JSON
reading measures depth and containers exactly."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.crypto import KeyPair
from sync.events import (
    GENESIS_HASH,
    Event,
    canonical_json,
    check_event_ranges,
    compute_hash,
    fast_canonical_json,
    verify_encoded,
)
from sync.jsonlimits import JsonLimitError, json_depth, loads_bounded, structure

# JSON values as a station's payloads hold them, including what orjson writes differently
# (exponent floats), refuses (ints beyond 64 bits) or maps to null (not finite).
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-06, 1e-7, 1e16, 1e22, -0.0, 5e-324, 1.7976931348623157e308])
    | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(max_size=8), values, max_size=6)


def make_event(payload: dict[str, Any], mono_time: float = 12.5) -> Event:
    fields: dict[str, Any] = {
        "station_id": "ST-1",
        "seq": 3,
        "uuid": "0b1e6b5c-5a7e-4c55-9d0e-3f1a2b3c4d5e",
        "type": "answer.saved",
        "wall_time": "2026-06-01T08:30:00+08:00",
        "mono_time": mono_time,
        "payload": payload,
        "prev_hash": GENESIS_HASH,
    }
    return Event.from_dict({**fields, "hash": compute_hash(fields)})


def encodable(value: Any) -> bool:
    try:
        canonical_json(value)
    except (ValueError, TypeError):
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(payloads, st.floats(min_value=-1e6, max_value=1e6))
def test_the_fast_path_decides_every_hash_as_the_reference_encoder(
    payload: dict[str, Any], mono: float
) -> None:
    if not encodable(payload):  # e.g. lone surrogates: no reference encoding exists
        return
    event = make_event(payload, mono)
    assert event.hash_ok()
    assert event.encoded.payload_json == canonical_json(payload)
    # Any change of content is noticed whichever path decides.
    changed = Event.from_dict({**event.to_dict(), "payload": {**payload, "extra": 1}})
    assert not changed.hash_ok()


def test_values_orjson_writes_otherwise_still_verify() -> None:
    for payload in ({"e": [1e-06, 2.5e-05]}, {"big": 2**80}, {"n": None}, {"s": "考试\u2028"}):
        assert fast_canonical_json(payload) != canonical_json(payload) or "s" in payload
        event = make_event(payload)
        assert event.hash_ok() and event.encoded.payload_json == canonical_json(payload)


def test_an_infinity_hashed_as_null_is_refused_not_stored_as_null() -> None:
    # orjson writes Infinity as null: a forger hashes the null form and sends Infinity.
    fields = make_event({"score": None}).to_dict()
    forged = Event.from_dict({**fields, "payload": {"score": math.inf}})
    assert forged.hash == compute_hash(fields)
    with pytest.raises(ValueError, match="cannot be encoded"):
        check_event_ranges(forged)


@settings(max_examples=200, deadline=None)
@given(st.lists(payloads, min_size=1, max_size=3))
def test_a_batch_signature_is_checked_as_the_reference_bytes_say(batch: list[Any]) -> None:
    if not encodable(batch):
        return
    keys = KeyPair.generate()
    signature = keys.signature(canonical_json(batch))
    public = keys.public()
    seen: list[bytes] = []

    def check(message: bytes) -> bool:
        seen.append(message)
        return public.verify(signature, message)

    assert verify_encoded(batch, check)
    assert seen[-1] == canonical_json(batch)  # accepted only on the station's own bytes
    assert not verify_encoded([*batch, {}], check)


def json_documents() -> st.SearchStrategy[Any]:
    text = st.text(alphabet=st.sampled_from('ab[]{}"\\\n\u00e9'), max_size=6)
    return st.recursive(
        st.none() | st.integers() | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=25,
    )


@settings(max_examples=400, deadline=None)
@given(json_documents())
def test_the_byte_scan_measures_depth_and_containers_exactly(document: Any) -> None:
    data = json.dumps(document, ensure_ascii=False).encode()
    shape = structure(data)
    depth = json_depth(document, 10_000)
    running = deepest = 0
    for b in shape:
        running += 1 if b in b"[{" else -1
        deepest = max(deepest, running)
    assert deepest == depth and running == 0
    assert loads_bounded(data, max_bytes=len(data), max_depth=max(depth, 1)) == document
    if depth > 1:
        with pytest.raises(JsonLimitError, match="deeper than"):
            loads_bounded(data, max_bytes=len(data), max_depth=depth - 1)


def test_brackets_inside_strings_and_escapes_do_not_count() -> None:
    data = b'{"a":"[[[[\\"{{","b\\\\":["]"]}'
    assert loads_bounded(data, max_bytes=100, max_depth=2, max_containers=2) == {
        "a": '[[[["{{',
        "b\\": ["]"],
    }
    for bad in (b"[NaN]", b"[Infinity]", b"[1e999]", b'["\\ud800"]', b"\xff"):
        with pytest.raises(JsonLimitError, match="not JSON"):
            loads_bounded(bad, max_bytes=100)
