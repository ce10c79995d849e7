"""CentralHome: the central service's directory (keys, configuration) and its database.

Layout of `home`:
  keys.json        the central KeyPair wrapped by the administrator's passphrase (0600)
  config.json      the database URL when it is not the default (never with a password)
  central.db       the default SQLite database
  incoming/        bundles being received over HTTP (deleted after import)
  central.log      the HTTP call log of `serve`
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sync.central import package_shelf
from sync.central.arrivals import BundleRecord, now_iso
from sync.central.errors import (
    AlreadyInitialised,
    BundleNotApplied,
    DatabaseUnavailable,
    MalformedRequest,
    NotInitialised,
    SignatureRefused,
    UnknownStation,
)
from sync.central.result import ImportResult
from sync.central.storage import CentralStore
from sync.central.uploads import SnapshotDescription, SnapshotUploads, UploadState
from sync.crypto import KeyPair, PublicKeys, unwrap_secret, wrap_secret
from sync.errors import FormatError, SyncError
from sync.events import Event, canonical_json, verify_encoded

KEYS_FILE = "keys.json"
CONFIG_FILE = "config.json"
KEYS_FORMAT = "examkiosk-central-keys"
log = logging.getLogger("sync.central.home")
STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _write_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create `path` atomically with `data`; raises FileExistsError if it exists."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.link(tmp, path)  # fails if `path` exists: never overwrites
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(tmp)


def check_station_id(station_id: str) -> str:
    if not STATION_ID.match(station_id):
        raise MalformedRequest(f"station id {station_id[:80]!r} is not of the form [A-Za-z0-9._-]")
    return station_id


class CentralHome:
    """One central service's keys and database. Thread-safe; the store opens lazily."""

    def __init__(self, home: Path, db_url: str | None = None) -> None:
        self.home = Path(home)
        self._db_url = db_url
        self._store: CentralStore | None = None
        self._lock = threading.Lock()

    # -- configuration --------------------------------------------------------------------

    @property
    def db_url(self) -> str:
        if self._db_url:
            return self._db_url
        config = self.home / CONFIG_FILE
        if config.exists():
            url = json.loads(config.read_text("utf-8")).get("db_url")
            if isinstance(url, str) and url:
                return url
        return f"sqlite:///{(self.home / 'central.db').resolve()}"

    @property
    def store(self) -> CentralStore:
        with self._lock:
            if self._store is None:
                if not (self.home / KEYS_FILE).exists():
                    raise NotInitialised(str(self.home))
                self._store = CentralStore(self.db_url)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- keys -----------------------------------------------------------------------------

    def init(self, passphrase: str) -> PublicKeys:
        """Create the home, the central keys (wrapped by `passphrase`) and the database.

        Raises AlreadyInitialised, leaving everything as it was, if keys exist.
        """
        if not passphrase:
            raise SyncError(
                "口令不能为空。", "The passphrase must not be empty.", detail="empty passphrase"
            )
        if (self.home / KEYS_FILE).exists():
            raise AlreadyInitialised(str(self.home))
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.home, 0o700)  # mkdir's mode is cut by the umask, and skipped if it exists
        keys = KeyPair.generate()
        document = {
            "format": KEYS_FORMAT,
            "version": 1,
            "created_at": now_iso(),
            "public": keys.public().to_dict(),
            "secret": wrap_secret(keys.to_bytes(), passphrase),
        }
        if self._db_url and "@" not in self._db_url.split("://", 1)[-1].split("/", 1)[0]:
            config = json.dumps({"db_url": self._db_url}).encode()
            if not (self.home / CONFIG_FILE).exists():
                _write_new_file(self.home / CONFIG_FILE, config)
        try:
            _write_new_file(self.home / KEYS_FILE, json.dumps(document, indent=2).encode())
        except FileExistsError:
            raise AlreadyInitialised(str(self.home)) from None
        self.store  # noqa: B018 - creates and migrates the database now, not on first use
        return keys.public()

    def _keys_document(self) -> dict[str, Any]:
        path = self.home / KEYS_FILE
        if not path.exists():
            raise NotInitialised(str(self.home))
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise FormatError(detail=f"{path}: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != KEYS_FORMAT:
            raise FormatError(detail=f"{path} is not a central keys file")
        return document

    def public_keys(self) -> PublicKeys:
        return PublicKeys.from_dict(self._keys_document()["public"])

    def unlock(self, passphrase: str) -> KeyPair:
        """The central KeyPair; raises WrongPassphrase (touching nothing) on a wrong one."""
        document = self._keys_document()
        keys = KeyPair.from_bytes(unwrap_secret(document["secret"], passphrase))
        if keys.public() != self.public_keys():
            raise FormatError(detail="keys.json: secret does not match its public keys")
        return keys

    # -- stations and packages ------------------------------------------------------------

    def register_station(
        self, station_id: str, venue_id: str, keys: PublicKeys, *, replace: bool = False
    ) -> None:
        """Register a station's public keys (idempotent). Raises StationKeyMismatch if it is
        registered with other keys and `replace` is False."""
        check_station_id(station_id)
        self.store.register_station(
            station_id, venue_id, keys.sign, keys.box, keys.key_id, replace=replace
        )

    def station_keys(self, station_id: str) -> PublicKeys | None:
        record = self.store.station(station_id)
        return PublicKeys(record.sign_key, record.box_key) if record else None

    def venue_station_keys(self, venue_id: str) -> list[PublicKeys]:
        """The public keys of every station registered for `venue_id` (package recipients)."""
        return [
            PublicKeys(s.sign_key, s.box_key)
            for s in self.store.stations()
            if s.venue_id == venue_id
        ]

    def venue_stations(self, venue_id: str) -> list[dict[str, str]]:
        """The venue's registered stations as a package lists them: which keys may sign a
        transfer of an attempt between them (the station checks against this list)."""
        return [
            {"station_id": s.station_id, "sign_key": s.sign_key.hex(), "key_id": s.key_id}
            for s in self.store.stations()
            if s.venue_id == venue_id
        ]

    def issue_package(
        self,
        content: Mapping[str, Any],
        meta: Any,
        keys: KeyPair,
        recipients: Sequence[PublicKeys],
        *,
        paper_password: str | None = None,
    ) -> bytes:
        """Build a signed, encrypted exam package (.ekp) and keep it for stations to fetch.

        Unless `content` already has one, the package gets `stations`: the venue's
        registered stations and their signing keys (see `venue_stations`)."""
        from sync.package import build_package, read_package_meta

        if "stations" not in content:
            content = {**content, "stations": self.venue_stations(meta.venue_id)}
        data = build_package(content, meta, keys, recipients, paper_password=paper_password)
        stored = read_package_meta(data).to_dict()
        package_shelf.put_package(self.store, stored, hashlib.sha256(data).hexdigest(), data)
        package_shelf.put_roster(self.store, stored, content.get("roster"))
        return data

    def latest_package(self, venue_id: str) -> bytes | None:
        found = package_shelf.latest_package(self.store, venue_id)
        return found[1] if found else None

    # -- the apply path ---------------------------------------------------------------------

    def ingest(self, station_id: str, events: Sequence[Event], via: str) -> ImportResult:
        """Apply already-authenticated events of a registered station (UnknownStation if not)."""
        return self.store.apply(station_id, events, via)[0]

    def receive_batch(
        self,
        station_id: str,
        raw_events: Any,
        signature_hex: Any,
        *,
        idempotency_key: str | None = None,
        body_sha256: str = "",
        via: str = "http",
    ) -> tuple[ImportResult, bool]:
        """Authenticate and apply one HTTP batch; returns (result, replayed).

        The signature is the station's Ed25519 signature over canonical_json(raw_events),
        exactly as received. Refusals are recorded and raised: UnknownStation,
        SignatureRefused, MalformedRequest, IdempotencyConflict.
        """
        station_id = check_station_id(station_id)
        record = self.store.station(station_id)
        if record is None:
            self.store.record_refused(station_id, "unknown_station", "event batch", via)
            raise UnknownStation(station_id)
        if not isinstance(raw_events, list) or not isinstance(signature_hex, str):
            raise MalformedRequest("expected {'events': [...], 'signature': hex}")
        keys = PublicKeys(record.sign_key, record.box_key)
        try:
            signature = bytes.fromhex(signature_hex)
            signed = verify_encoded(raw_events, lambda message: keys.verify(signature, message))
        except (ValueError, TypeError) as exc:
            raise MalformedRequest(f"signature or events not encodable: {exc}") from exc
        if not signed:
            self.store.record_refused(
                station_id, "bad_signature", f"batch of {len(raw_events)} events", via
            )
            raise SignatureRefused(station_id)
        try:
            events = [Event.from_untrusted(item) for item in raw_events]
        except (ValueError, TypeError) as exc:
            self.store.record_refused(station_id, "malformed", str(exc), via)
            raise MalformedRequest(str(exc)) from exc
        return self.store.apply(
            station_id,
            events,
            via,
            idempotency_key=idempotency_key,
            body_sha256=body_sha256,
        )

    def import_bundle(self, path: Path, keys: KeyPair) -> ImportResult:
        """Import a USB bundle (.ekb) through the same apply path as HTTP batches.

        A damaged, foreign or unregistered bundle is recorded as refused and raised
        (FormatError and its kinds, UnknownStation, SignatureRefused); nothing is imported.
        """
        from sync.bundle import inspect_bundle, open_bundle

        via = f"bundle:{Path(path).name}"[:200]
        try:
            info = inspect_bundle(Path(path))
        except FormatError as exc:
            self.store.record_refused("", "bundle_damaged", f"{Path(path).name}: {exc}", via)
            raise
        via = f"bundle:{info.sha256[:16]}"
        registered = self.store.station(info.station_id)
        if registered is None:
            self.store.record_refused(info.station_id, "unknown_station", "bundle", via)
            raise UnknownStation(info.station_id)
        if (registered.sign_key, registered.box_key) != (
            info.station_key.sign,
            info.station_key.box,
        ):
            self.store.record_refused(
                info.station_id, "bad_signature", "bundle signed by another key", via
            )
            raise SignatureRefused(info.station_id, "bundle signed by a key not registered")
        try:
            info, events, snapshots = open_bundle(
                Path(path), central=keys, station_key=info.station_key
            )
        except FormatError as exc:
            self.store.record_refused(info.station_id, "bundle_refused", str(exc), via)
            raise
        record = BundleRecord(
            info.sha256,
            info.station_id,
            info.sitting_id,
            info.first_seq,
            info.last_seq,
            info.event_count,
        )
        try:
            return self.store.apply_bundle(
                record,
                events,
                [(s.name, s.media_type, s.data, s.event_seq) for s in snapshots],
                via,
            )
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # rolled back whole: nothing of it was kept
            log.error("bundle %s could not be applied", info.sha256[:16], exc_info=True)
            self.store.record_refused(
                info.station_id, "bundle_refused", f"{type(exc).__name__}: {exc}"[:300], via
            )
            if isinstance(exc, SyncError):
                raise
            raise BundleNotApplied(str(exc)) from exc

    # -- snapshots over HTTP (chunked, resumable; see uploads.py) ---------------------------

    def begin_snapshot(
        self, station_id: str, raw_description: Any, signature_hex: Any
    ) -> UploadState:
        """Authenticate a station's signed snapshot description and open (or find) its upload.

        The signature is over canonical_json(description) exactly as received. Raises
        UnknownStation, SignatureRefused, MalformedRequest (each refusal is recorded).
        """
        station_id = check_station_id(station_id)
        record = self.store.station(station_id)
        if record is None:
            self.store.record_refused(station_id, "unknown_station", "snapshot", "http")
            raise UnknownStation(station_id)
        description = SnapshotDescription.from_dict(raw_description)
        try:
            signature = bytes.fromhex(signature_hex) if isinstance(signature_hex, str) else b""
        except ValueError:
            signature = b""
        if not PublicKeys(record.sign_key, record.box_key).verify(
            signature, canonical_json(raw_description)
        ):
            self.store.record_refused(
                station_id, "bad_signature", f"snapshot {description.name[:100]!r}", "http"
            )
            raise SignatureRefused(station_id)
        return SnapshotUploads(self.store).begin(station_id, description)

    def snapshot_chunk(
        self, station_id: str, upload_id: str, offset: int, data: bytes
    ) -> UploadState:
        """Append a chunk to an open upload (see SnapshotUploads.chunk)."""
        return SnapshotUploads(self.store).chunk(
            check_station_id(station_id), upload_id, offset, data
        )

    def ack(self, station_id: str) -> dict[str, Any]:
        record = self.store.station(check_station_id(station_id))
        if record is None:
            raise UnknownStation(station_id)
        return {
            "station_id": station_id,
            "acked_seq": record.acked_seq,
            "last_hash": record.last_hash,
            "highest_seq": record.highest_seq,
            "rollback": record.rollback,
        }

    def report(self) -> dict[str, Any]:
        """JSON-able state of the centre: per station and per sitting (see report.py)."""
        from sync.central.report import build_report

        return build_report(self.store)
