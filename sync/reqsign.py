"""Signed requests (station → centre) and signed answers (centre → station) over HTTP.

Every station request carries four headers: the station id, the station's clock (Unix
seconds), the SHA-256 of the body, and the station's Ed25519 signature over method, target
(path and query exactly as sent), station id, time and body hash. The centre checks them
before it reads a byte of the body, then checks the body against the signed hash while it
streams in. So nothing a stranger sends is ever parsed, stored or written to disk.

Every answer the station acts on (an acknowledgement, a batch result, an upload position)
is signed by the centre key over the station id, the request's own signature, the status
and the SHA-256 of the answer body. Binding the answer to the request's signature (which
covers a fresh time) means an old answer cannot be replayed to a new request, and a fake
centre without the key cannot make a station believe anything was received.

No I/O here: pure functions over bytes, shared by `sync.client` and `sync.central.auth`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sync.crypto import KeyPair, PublicKeys

H_STATION = "X-EK-Station"
H_TIME = "X-EK-Time"
H_BODY_SHA256 = "X-EK-Body-SHA256"
H_SIGNATURE = "X-EK-Signature"
H_ANSWER_SIGNATURE = "X-EK-Answer-Signature"
H_CENTRE_TIME = "X-EK-Centre-Time"

REQUEST_DOMAIN = b"ek-request/1"
ANSWER_DOMAIN = b"ek-answer/1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def request_message(
    method: str, target: str, station_id: str, timestamp: int, body_sha256: str
) -> bytes:
    """The bytes a station signs. Newline-separated; none of the fields may hold a newline
    (station ids and targets are checked by the centre, the rest are numbers and hex)."""
    fields = [method.upper(), target, station_id, str(int(timestamp)), body_sha256.lower()]
    if any("\n" in f or "\r" in f for f in fields):
        raise ValueError("a signed request field contains a line break")
    return REQUEST_DOMAIN + b"\n" + "\n".join(fields).encode("utf-8")


def answer_message(station_id: str, request_signature: str, status: int, body: bytes) -> bytes:
    """The bytes the centre signs for an answer to one signed request."""
    digest = hashlib.sha256(body).hexdigest()
    text = f"{station_id}\n{request_signature.lower()}\n{int(status)}\n{digest}"
    return ANSWER_DOMAIN + b"\n" + text.encode("utf-8")


@dataclass(frozen=True)
class SignedRequest:
    headers: dict[str, str]
    signature: str


def sign_request(
    keys: KeyPair, station_id: str, method: str, target: str, body: bytes, timestamp: int
) -> SignedRequest:
    """Headers that authenticate one request of `station_id` (see the module docstring)."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    signature = keys.signature(
        request_message(method, target, station_id, timestamp, body_sha256)
    ).hex()
    return SignedRequest(
        {
            H_STATION: station_id,
            H_TIME: str(int(timestamp)),
            H_BODY_SHA256: body_sha256,
            H_SIGNATURE: signature,
        },
        signature,
    )


def sign_answer(
    keys: KeyPair, station_id: str, request_signature: str, status: int, body: bytes
) -> str:
    return keys.signature(answer_message(station_id, request_signature, status, body)).hex()


def answer_is_genuine(
    central: PublicKeys,
    station_id: str,
    request_signature: str,
    status: int,
    body: bytes,
    answer_signature: str | None,
) -> bool:
    """Whether `answer_signature` is the centre's signature of this answer to this request."""
    if not answer_signature or len(answer_signature) != 128:
        return False
    try:
        raw = bytes.fromhex(answer_signature)
    except ValueError:
        return False
    return central.verify(raw, answer_message(station_id, request_signature, status, body))
