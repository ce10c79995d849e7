"""Fuzzing the bundle and package readers: damaged input is refused, never crashes, never leaks.

Every mutated file must raise FormatError (or PackageRefused, for packages) and return
nothing. A second family feeds garbage *inside* correctly signed and encrypted envelopes, so
the plaintext parsers are exercised too, not only the outer checks.

More examples (e.g. before a release): `EK_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest
tests/sync/test_fuzz_readers.py`.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.bundle import (
    BUNDLE_KIND,
    LAYOUT,
    REC_END,
    REC_EVENTS,
    REC_SNAPSHOT,
    Snapshot,
    inspect_bundle,
    open_bundle,
    write_bundle,
)
from sync.crypto import KeyPair
from sync.envelope import seal
from sync.errors import FormatError, PackageRefused, WrongPassphrase
from sync.events import GENESIS_HASH, Event, compute_hash
from sync.package import PackageMeta, build_package, open_package, read_package_meta, unseal_paper

EXAMPLES = int(os.environ.get("EK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("EK_FUZZ_EXAMPLES") is None,  # CI: reproducible
)

STATION = KeyPair.generate()
CENTRAL = KeyPair.generate()
NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


def _events(count: int) -> list[Event]:
    events, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        fields = {
            "station_id": "ST-01",
            "seq": seq,
            "uuid": f"00000000-0000-0000-0000-{seq:012d}",
            "type": "answer.saved",
            "wall_time": "2026-05-10T09:30:00+08:00",
            "mono_time": float(seq),
            "payload": {"item": seq, "answer": "B"},
            "prev_hash": prev,
        }
        prev = compute_hash(fields)
        events.append(Event(**fields, hash=prev))  # type: ignore[arg-type]
    return events


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("fuzz") / "b.ekb"
    write_bundle(
        path,
        _events(40),
        [Snapshot("p.jpg", "image/jpeg", os.urandom(300), 2)],
        station_id="ST-01",
        venue_id="V-1",
        sitting_id="S-1",
        station=STATION,
        central=CENTRAL.public(),
        chunk_size=256,  # several chunks, so chunk boundaries get hit
    )
    return path.read_bytes()


META = PackageMeta(
    exam_id="EX",
    version=2,
    venue_id="V-1",
    sitting_id="S-1",
    valid_from=(NOW - timedelta(days=1)).isoformat(),
    valid_until=(NOW + timedelta(days=1)).isoformat(),
    issued_at=NOW.isoformat(),
    central_key_id=CENTRAL.public().key_id,
)


@pytest.fixture(scope="module")
def package() -> bytes:
    content = {
        "roster": [{"ticket": str(i)} for i in range(30)],
        "paper": {"items": list(range(50))},
    }
    return build_package(content, META, CENTRAL, [STATION.public()], chunk_size=128)


def _mutations(size: int) -> st.SearchStrategy[tuple[str, int, bytes]]:
    position = st.integers(0, size - 1)
    return st.one_of(
        st.tuples(st.just("flip"), position, st.integers(1, 255).map(lambda b: bytes([b]))),
        st.tuples(st.just("truncate"), position, st.just(b"")),
        st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=40)),
        st.tuples(st.just("overwrite"), position, st.binary(min_size=1, max_size=40)),
        st.tuples(st.just("append"), st.just(size), st.binary(min_size=1, max_size=40)),
    )


def _mutate(data: bytes, mutation: tuple[str, int, bytes]) -> bytes:
    kind, position, extra = mutation
    if kind == "flip":
        return data[:position] + bytes([data[position] ^ extra[0]]) + data[position + 1 :]
    if kind == "truncate":
        return data[:position]
    if kind == "insert":
        return data[:position] + extra + data[position:]
    if kind == "overwrite":
        changed = data[:position] + extra + data[position + len(extra) :]
        return changed if changed != data else data[:position]
    return data + extra


@FUZZ
@given(st.data())
def test_damaged_bundles_are_refused_by_every_reader(bundle: bytes, data: st.DataObject) -> None:
    damaged = _mutate(bundle, data.draw(_mutations(len(bundle))))
    with pytest.raises(FormatError):
        inspect_bundle(damaged)
    with pytest.raises(FormatError):
        open_bundle(damaged, central=CENTRAL, station_key=STATION.public())


@FUZZ
@given(st.data())
def test_damaged_packages_are_refused_by_every_reader(package: bytes, data: st.DataObject) -> None:
    damaged = _mutate(package, data.draw(_mutations(len(package))))
    with pytest.raises(FormatError):
        read_package_meta(damaged)
    with pytest.raises((FormatError, PackageRefused)):
        open_package(damaged, central=CENTRAL.public(), station=STATION, venue_id="V-1", now=NOW)


@FUZZ
@given(st.binary(max_size=2000), st.booleans())
def test_garbage_is_refused_by_every_reader(garbage: bytes, with_magic: bool) -> None:
    blob = (b"EKENV1\n" + garbage) if with_magic else garbage
    with pytest.raises(FormatError):
        inspect_bundle(blob)
    with pytest.raises(FormatError):
        open_bundle(blob, central=CENTRAL)
    with pytest.raises(FormatError):
        read_package_meta(blob)
    with pytest.raises((FormatError, PackageRefused)):
        open_package(blob, central=CENTRAL.public(), station=STATION, venue_id="V-1", now=NOW)


# --- garbage inside authentic envelopes: the plaintext parsers --------------------------------

_RECORD = struct.Struct(">BBQ")
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=9) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def _record(rtype: int, body: bytes, compress: bool) -> bytes:
    if compress:
        body = zlib.compress(body)
    return _RECORD.pack(rtype, 1 if compress else 0, len(body)) + body


_records = st.lists(
    st.tuples(
        st.sampled_from([REC_EVENTS, REC_SNAPSHOT, REC_END, 0, 9]),
        st.one_of(
            _json_values.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=60),
        ),
        st.booleans(),
    ),
    max_size=5,
)


@FUZZ
@given(_records, st.binary(max_size=30), st.integers(0, 3), st.integers(0, 3))
def test_authentic_bundles_with_garbage_inside_are_refused(
    records: list[tuple[int, bytes, bool]], tail: bytes, events: int, snapshots: int
) -> None:
    metadata = {
        "layout": LAYOUT,
        "station_id": "ST-01",
        "venue_id": "V-1",
        "sitting_id": "S-1",
        "first_seq": 1 if events else 0,
        "last_seq": events,
        "event_count": events,
        "snapshot_count": snapshots,
        "created_at": NOW.isoformat(),
    }
    plaintext = b"".join(_record(*r) for r in records) + tail
    blob = seal(BUNDLE_KIND, metadata, plaintext, STATION, [CENTRAL.public()])
    assert inspect_bundle(blob).station_id == "ST-01"  # the envelope itself is sound
    with pytest.raises(FormatError):
        open_bundle(blob, central=CENTRAL)


@FUZZ
@given(_json_values, st.booleans())
def test_authentic_packages_with_garbage_inside_are_refused_or_sane(
    value: object, compress: bool
) -> None:
    raw = json.dumps(value).encode()
    metadata = {**META.to_dict(), "content_encoding": "zlib+json"}
    blob = seal(
        "package", metadata, zlib.compress(raw) if compress else raw, CENTRAL, [STATION.public()]
    )
    try:
        meta, content = open_package(
            blob, central=CENTRAL.public(), station=STATION, venue_id="V-1", now=NOW
        )
    except FormatError:
        return
    # Only a JSON object without a sealed paper can get through, and it comes back unchanged.
    assert compress and isinstance(value, dict) and content == value and meta == META


@FUZZ
@given(_json_values, st.text(max_size=10))
def test_sealed_papers_with_garbage_never_crash(value: object, password: str) -> None:
    content = {"paper": {"format": "ek-sealed-paper", "version": 1, "wrap": value}}
    with pytest.raises((FormatError, WrongPassphrase)):
        unseal_paper(content, password)


# --- JSON that parses but cannot be re-encoded (found by review, kept as regressions) -------

_NASTY_JSON = [b"1e400", b"-1e400", b'"\\ud800"', b"NaN", b"Infinity", b"[" * 100_000]


@pytest.mark.parametrize("nasty", _NASTY_JSON)
def test_headers_with_unencodable_json_are_a_format_error(nasty: bytes) -> None:
    header = b'{"format":"EKENV","metadata":{"x":' + nasty + b"}}"
    blob = b"EKENV1\n" + struct.pack(">I", len(header)) + header + bytes(200)
    with pytest.raises(FormatError):
        inspect_bundle(blob)
    with pytest.raises(FormatError):
        read_package_meta(blob)


@pytest.mark.parametrize("where", ["event", "snapshot"])
@pytest.mark.parametrize("nasty", _NASTY_JSON)
def test_authentic_bundles_with_unencodable_json_are_a_format_error(
    nasty: bytes, where: str
) -> None:
    event = _events(1)[0]
    payload = b'{"k":' + (nasty if where == "event" else b'"ok"') + b"}"
    name = nasty if where == "snapshot" else b'"p.jpg"'
    row = b'[[1,"%s","t","w",1.0,%s,"%s","%s"]]' % (
        event.uuid.encode(),
        payload,
        event.prev_hash.encode(),
        event.hash.encode(),
    )
    snapshot = b'{"event_seq":null,"media_type":"x","name":' + name + b',"size":0}'
    plaintext = (
        _record(REC_EVENTS, row, False)
        + _record(REC_SNAPSHOT, struct.pack(">I", len(snapshot)) + snapshot, False)
        + _record(REC_END, b'{"events":1,"snapshots":1}', False)
    )
    metadata = {
        "layout": LAYOUT,
        "station_id": "ST-01",
        "venue_id": "V-1",
        "sitting_id": "S-1",
        "first_seq": 1,
        "last_seq": 1,
        "event_count": 1,
        "snapshot_count": 1,
        "created_at": NOW.isoformat(),
    }
    blob = seal(BUNDLE_KIND, metadata, plaintext, STATION, [CENTRAL.public()])
    with pytest.raises(FormatError):
        open_bundle(blob, central=CENTRAL)


@pytest.mark.parametrize("nasty", _NASTY_JSON)
def test_authentic_packages_with_unencodable_content_are_a_format_error(nasty: bytes) -> None:
    metadata = {**META.to_dict(), "content_encoding": "zlib+json"}
    body = zlib.compress(b'{"roster":' + nasty + b"}")
    blob = seal("package", metadata, body, CENTRAL, [STATION.public()])
    with pytest.raises(FormatError):
        open_package(blob, central=CENTRAL.public(), station=STATION, venue_id="V-1", now=NOW)
