"""Exam packages (.ekp): what the centre sends a venue, signed and encrypted to its stations.

A package is an envelope of kind "package". Its header metadata (readable without keys, no
personal data) is a `PackageMeta`; its plaintext is the content, a JSON object, compressed.
The content's "paper" may additionally be sealed with a paper password released at exam
start: a station that holds the package can read the roster but not the questions until then.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sync.crypto import KeyPair, PublicKeys, unwrap_secret, wrap_secret
from sync.envelope import (
    DEFAULT_CHUNK_SIZE,
    EnvelopeInfo,
    inflate_bounded,
    inspect,
    loads_strict,
    open_,
    seal,
)
from sync.errors import (
    BadSignature,
    FormatError,
    NotARecipient,
    PackageRefused,
    UnexpectedSigner,
    WrongPassphrase,
)
from sync.events import canonical_json

PACKAGE_KIND = "package"
PACKAGE_EXTENSION = ".ekp"
CONTENT_ENCODING = "zlib+json"
SEALED_PAPER_FORMAT = "ek-sealed-paper"
SEALED_PAPER_VERSION = 1
# A crafted package must not inflate into gigabytes: content above this is refused.
MAX_CONTENT_SIZE = 512 << 20


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise FormatError(detail=f"{name} is not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FormatError(detail=f"{name} {value!r} is not ISO 8601") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FormatError(detail=f"{name} {value!r} has no UTC offset")
    if not 2000 <= moment.year <= 2200:
        raise FormatError(detail=f"{name} {value!r} is out of range")
    return moment


# Versions are counted up by the centre; anything beyond this is a damaged or forged header
# (and would not fit the station's INTEGER column).
MAX_PACKAGE_VERSION = 2**31 - 1


@dataclass(frozen=True)
class PackageMeta:
    """What a package says about itself in the clear. Times are ISO 8601 with an offset."""

    exam_id: str
    version: int
    venue_id: str
    sitting_id: str
    valid_from: str
    valid_until: str
    issued_at: str
    central_key_id: str
    paper_sealed: bool = False  # set by build_package; True: the paper needs its password

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackageMeta:
        """Parse untrusted metadata; FormatError on a missing or mistyped field."""
        strings = (
            "exam_id",
            "venue_id",
            "sitting_id",
            "valid_from",
            "valid_until",
            "issued_at",
            "central_key_id",
        )
        if not isinstance(data, Mapping):
            raise FormatError(detail="package metadata is not an object")
        for name in strings:
            if not isinstance(data.get(name), str) or not data[name] or len(data[name]) > 200:
                raise FormatError(detail=f"package metadata field {name!r} missing or too long")
        version, sealed = data.get("version"), data.get("paper_sealed", False)
        if (
            not isinstance(version, int)
            or isinstance(version, bool)
            or not 0 <= version <= MAX_PACKAGE_VERSION
        ):
            raise FormatError(detail=f"package version {str(version)[:30]} invalid")
        if not isinstance(sealed, bool):
            raise FormatError(detail="paper_sealed is not a boolean")
        meta = cls(version=version, paper_sealed=sealed, **{n: data[n] for n in strings})
        meta.window()  # validates the times
        return meta

    def window(self) -> tuple[datetime, datetime]:
        """(valid_from, valid_until) as aware datetimes; FormatError if malformed or empty."""
        start = _parse_time(self.valid_from, "valid_from")
        end = _parse_time(self.valid_until, "valid_until")
        _parse_time(self.issued_at, "issued_at")
        if end <= start:
            raise FormatError(detail="validity window is empty")
        return start, end


def _normalise_password(password: str) -> str:
    # Invigilators type on Chinese IMEs and copy passwords read aloud or printed in groups:
    # NFKC turns full-width digits and letters into ASCII, and all whitespace is dropped.
    return "".join(unicodedata.normalize("NFKC", password).split())


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    value = loads_strict(raw, what)
    if not isinstance(value, dict):
        raise FormatError(detail=f"{what} is not an object")
    return value


def seal_paper(paper: Mapping[str, Any], password: str) -> dict[str, Any]:
    """The paper sealed under `password` (scrypt + AES-256-GCM), as a JSON-safe object."""
    secret = _normalise_password(password)
    if not secret:
        raise ValueError("paper password is empty")
    body = zlib.compress(canonical_json(dict(paper)), 6)
    return {
        "format": SEALED_PAPER_FORMAT,
        "version": SEALED_PAPER_VERSION,
        "wrap": wrap_secret(body, secret),
    }


def paper_is_sealed(content: Mapping[str, Any]) -> bool:
    paper = content.get("paper")
    return isinstance(paper, Mapping) and paper.get("format") == SEALED_PAPER_FORMAT


def unseal_paper(content: Mapping[str, Any], password: str) -> dict[str, Any]:
    """The exam paper of opened package content, unsealed with the paper password.

    Returns the paper object itself (what `build_package` found in content["paper"]); a paper
    that was never sealed is returned as is. Raises WrongPassphrase for a wrong password
    (within about 0.2 s) and FormatError when the content has no usable paper.
    """
    paper = content.get("paper")
    if not isinstance(paper, Mapping):
        raise FormatError(detail="package content has no paper")
    if not paper_is_sealed(content):
        return dict(paper)
    if paper.get("version") != SEALED_PAPER_VERSION or not isinstance(paper.get("wrap"), Mapping):
        raise FormatError(detail="sealed paper of an unknown version")
    secret = _normalise_password(password)
    if not secret:
        raise WrongPassphrase(detail="empty paper password")
    raw = unwrap_secret(paper["wrap"], secret)
    return _json_object(inflate_bounded(raw, MAX_CONTENT_SIZE, "content"), "paper")


def build_package(
    content: Mapping[str, Any],
    meta: PackageMeta,
    central: KeyPair,
    recipients: Sequence[PublicKeys],
    *,
    paper_password: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> bytes:
    """Sign with `central` and encrypt to every recipient (station and venue keys).

    With `paper_password`, content["paper"] (an object) is sealed separately and
    `meta.paper_sealed` is set. Raises ValueError for a caller error: a meta whose
    `central_key_id` is not `central`'s, a malformed validity window, no recipients, a
    missing paper to seal, or content that is not JSON.
    """
    if meta.central_key_id != central.public().key_id:
        raise ValueError("meta.central_key_id is not the signing key's id")
    try:
        PackageMeta.from_dict(meta.to_dict())
    except FormatError as exc:
        raise ValueError(f"invalid package meta: {exc.detail}") from None
    body = dict(content)
    if paper_password is not None:
        if not isinstance(body.get("paper"), Mapping):
            raise ValueError("paper_password given but content['paper'] is not an object")
        body["paper"] = seal_paper(body["paper"], paper_password)
    meta = replace(meta, paper_sealed=paper_password is not None)
    plaintext = zlib.compress(canonical_json(body), 6)
    metadata = {**meta.to_dict(), "content_encoding": CONTENT_ENCODING}
    return seal(PACKAGE_KIND, metadata, plaintext, central, recipients, chunk_size=chunk_size)


def _meta_of(info: EnvelopeInfo) -> PackageMeta:
    if info.kind != PACKAGE_KIND:
        raise FormatError(
            "该文件不是考试包。请选择考试中心发放的 .ekp 文件。",
            "This file is not an exam package. Choose the .ekp file issued by the exam centre.",
            detail=f"envelope kind {info.kind!r}",
        )
    if info.metadata.get("content_encoding") != CONTENT_ENCODING:
        raise FormatError(detail="unknown content encoding")
    meta = PackageMeta.from_dict(info.metadata)
    if meta.central_key_id != info.signer.key_id:
        raise FormatError(detail="package names a central key other than its signer")
    return meta


def read_package_meta(data: bytes) -> PackageMeta:
    """The metadata of a whole, correctly signed package; no keys needed.

    This proves integrity, not origin: only `open_package` checks the signer is the centre.
    """
    return _meta_of(inspect(data))


def open_package(
    data: bytes,
    *,
    central: PublicKeys,
    station: KeyPair,
    venue_id: str,
    now: datetime,
    min_version: int = 0,
) -> tuple[PackageMeta, dict[str, Any]]:
    """Verify, check and decrypt a package for this station.

    Checks, in this order (an administrator sees the most useful reason first): signature
    (PackageRefused "bad_signature"), signer is `central` ("unknown_key"), venue
    ("wrong_venue"), version >= min_version ("rollback"), `now` inside the validity window
    ("not_yet_valid" / "expired"), encrypted to `station` ("not_for_this_station").
    FormatError when the file is damaged or not a package. A sealed paper stays sealed:
    see `unseal_paper`. `now` must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        info = inspect(data)
    except BadSignature as exc:
        raise PackageRefused(reason="bad_signature", detail=exc.detail) from None
    if info.signer != central:
        raise PackageRefused(
            reason="unknown_key",
            detail=f"signed by {info.signer.key_id}, trusted centre key is {central.key_id}",
        )
    meta = _meta_of(info)
    if meta.venue_id != venue_id:
        raise PackageRefused(
            reason="wrong_venue", detail=f"package venue {meta.venue_id!r}, here {venue_id!r}"
        )
    if meta.version < min_version:
        raise PackageRefused(
            reason="rollback", detail=f"package version {meta.version} < seen {min_version}"
        )
    start, end = meta.window()
    if now < start:
        raise PackageRefused(
            reason="not_yet_valid", detail=f"valid from {meta.valid_from}, now {now.isoformat()}"
        )
    if now >= end:
        raise PackageRefused(
            reason="expired", detail=f"valid until {meta.valid_until}, now {now.isoformat()}"
        )
    try:
        plaintext = open_(data, recipient=station, expected_signer=central)
    except NotARecipient as exc:
        raise PackageRefused(reason="not_for_this_station", detail=exc.detail) from None
    except (BadSignature, UnexpectedSigner) as exc:  # the bytes changed under us
        raise PackageRefused(reason="bad_signature", detail=exc.detail) from None
    content = _json_object(
        inflate_bounded(plaintext, MAX_CONTENT_SIZE, "content"), "package content"
    )
    if meta.paper_sealed != paper_is_sealed(content):
        raise FormatError(detail="paper_sealed does not match the content")
    return meta, content
