"""Keys and passphrase wrapping: the primitives every container of `sync` is built from.

A party (the centre, a venue, a station) has one `KeyPair`: an Ed25519 key to sign and an
X25519 key to receive. Others know it by its `PublicKeys`, and refer to it by `key_id`.
Secrets at rest (a station's private keys, a sealed exam paper) are wrapped with a
passphrase: scrypt derives an AES-256-GCM key, so a wrong passphrase fails the tag check.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sync.errors import FormatError, WrongPassphrase

WRAP_FORMAT = "ek-wrap"
WRAP_VERSION = 1
WRAP_KDF = "scrypt"
WRAP_AEAD = "AES-256-GCM"
# n=2**15, r=8 costs ~32 MiB and well under 0.2 s here: a wrong passphrase is told quickly,
# while each guess still costs an attacker the same memory-hard work.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
# Parameters read from a file are bounded so a crafted blob cannot make us allocate
# gigabytes or spin for minutes (untrusted input must never hang the station).
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
_WRAP_AAD = b"ek-wrap/1"

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NO_ENC = serialization.NoEncryption()


def _hex_field(data: Mapping[str, Any], name: str, length: int | None = None) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise FormatError(detail=f"field {name!r} missing or not a string")
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise FormatError(detail=f"field {name!r} is not hex") from exc
    if length is not None and len(raw) != length:
        raise FormatError(detail=f"field {name!r} has {len(raw)} bytes, expected {length}")
    return raw


@dataclass(frozen=True)
class PublicKeys:
    """The public half of a party's keys: `sign` (raw Ed25519, 32 bytes), `box` (raw X25519)."""

    sign: bytes
    box: bytes

    def __post_init__(self) -> None:
        if len(self.sign) != 32 or len(self.box) != 32:
            raise FormatError(detail="public keys must be 32 bytes each")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.sign + self.box).hexdigest()[:16]

    def to_dict(self) -> dict[str, str]:
        return {"sign": self.sign.hex(), "box": self.box.hex(), "key_id": self.key_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PublicKeys:
        """Parse untrusted data; raises FormatError on a bad length, bad hex or wrong key_id."""
        if not isinstance(data, Mapping):
            raise FormatError(detail="public keys are not an object")
        keys = cls(_hex_field(data, "sign", 32), _hex_field(data, "box", 32))
        if "key_id" in data and data["key_id"] != keys.key_id:
            raise FormatError(detail="key_id does not match the keys")
        return keys

    def __repr__(self) -> str:
        return f"PublicKeys(key_id={self.key_id})"

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this party's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.sign).verify(signature, message)
        except Exception:  # InvalidSignature, or a key that is not a curve point
            return False
        return True


@dataclass(frozen=True, repr=False, eq=False)
class KeyPair:
    """A party's private keys. repr() never shows key material."""

    sign: Ed25519PrivateKey
    box: X25519PrivateKey
    _public: PublicKeys = field(init=False, compare=False)

    def __post_init__(self) -> None:
        public = PublicKeys(
            self.sign.public_key().public_bytes(_RAW, _RAW_PUB),
            self.box.public_key().public_bytes(_RAW, _RAW_PUB),
        )
        object.__setattr__(self, "_public", public)

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    def public(self) -> PublicKeys:
        return self._public

    def to_bytes(self) -> bytes:
        """64 raw bytes: the Ed25519 seed, then the X25519 private key. Wrap before storing."""
        return self.sign.private_bytes(_RAW, _RAW_PRIV, _NO_ENC) + self.box.private_bytes(
            _RAW, _RAW_PRIV, _NO_ENC
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyPair:
        if len(raw) != 64:
            raise FormatError(detail=f"key pair must be 64 bytes, got {len(raw)}")
        return cls(
            Ed25519PrivateKey.from_private_bytes(raw[:32]),
            X25519PrivateKey.from_private_bytes(raw[32:]),
        )

    def signature(self, message: bytes) -> bytes:
        return self.sign.sign(message)

    def __repr__(self) -> str:
        return f"KeyPair(key_id={self._public.key_id})"


def _scrypt_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def wrap_secret(secret: bytes, passphrase: str) -> dict[str, Any]:
    """Encrypt `secret` under `passphrase`; the result is JSON-safe and names its algorithms."""
    salt = os.urandom(16)
    nonce = os.urandom(12)
    key = _scrypt_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(key).encrypt(nonce, secret, _WRAP_AAD)
    return {
        "format": WRAP_FORMAT,
        "version": WRAP_VERSION,
        "kdf": WRAP_KDF,
        "kdf_params": {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex()},
        "aead": WRAP_AEAD,
        "nonce": nonce.hex(),
        "ciphertext": ciphertext.hex(),
    }


def _bounded_int(params: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FormatError(detail=f"scrypt parameter {name}={value!r} out of range")
    return value


def unwrap_secret(blob: Mapping[str, Any], passphrase: str) -> bytes:
    """Open what `wrap_secret` made.

    Raises WrongPassphrase when the tag does not verify (wrong passphrase, or a blob altered
    after wrapping: the two cannot be told apart), FormatError when the blob is malformed or
    names an algorithm or cost this version does not accept.
    """
    if not isinstance(blob, Mapping):
        raise FormatError(detail="wrapped secret is not an object")
    if blob.get("format") != WRAP_FORMAT or blob.get("version") != WRAP_VERSION:
        raise FormatError(detail="not a wrapped secret of a known version")
    if blob.get("kdf") != WRAP_KDF or blob.get("aead") != WRAP_AEAD:
        raise FormatError(detail=f"unknown algorithms {blob.get('kdf')!r}/{blob.get('aead')!r}")
    params = blob.get("kdf_params")
    if not isinstance(params, Mapping):
        raise FormatError(detail="kdf_params missing")
    n = _bounded_int(params, "n", 2, 2**20)
    r = _bounded_int(params, "r", 1, 32)
    p = _bounded_int(params, "p", 1, 4)
    if n & (n - 1) or 128 * n * r * p > _MAX_SCRYPT_MEMORY:
        raise FormatError(detail=f"scrypt cost n={n} r={r} p={p} not accepted")
    salt = _hex_field(params, "salt")
    if not 8 <= len(salt) <= 64:
        raise FormatError(detail="scrypt salt length out of range")
    nonce = _hex_field(blob, "nonce", 12)
    ciphertext = _hex_field(blob, "ciphertext")
    if len(ciphertext) < 16:
        raise FormatError(detail="ciphertext shorter than its tag")
    key = _scrypt_key(passphrase, salt, n, r, p)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _WRAP_AAD)
    except InvalidTag:
        raise WrongPassphrase(detail="authentication tag did not verify") from None


# --- key wrapping to a recipient (X25519 + HKDF-SHA256 + AES-256-GCM) ----------------------

_ZERO_NONCE = bytes(12)  # each key-encryption key is used exactly once


def _kek(shared: bytes, epk: bytes, recipient_box: bytes, context: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + recipient_box, info=context)
    return hkdf.derive(shared)


def wrap_key(key: bytes, recipient: PublicKeys, context: bytes) -> dict[str, str]:
    """`key` encrypted to `recipient` through a fresh ephemeral X25519 key.

    The result {key_id, epk, wrapped} is JSON-safe; `context` binds it to its use.
    """
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes(_RAW, _RAW_PUB)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.box))
    kek = _kek(shared, epk, recipient.box, context)
    wrapped = AESGCM(kek).encrypt(_ZERO_NONCE, key, recipient.key_id.encode("ascii"))
    return {"key_id": recipient.key_id, "epk": epk.hex(), "wrapped": wrapped.hex()}


def unwrap_key(entry: Mapping[str, Any], recipient: KeyPair, context: bytes) -> bytes:
    """The 32-byte key `wrap_key` made for `recipient`; FormatError if it does not open."""
    me = recipient.public()
    try:
        epk = _hex_field(entry, "epk", 32)
        shared = recipient.box.exchange(X25519PublicKey.from_public_bytes(epk))
        kek = _kek(shared, epk, me.box, context)
        key = AESGCM(kek).decrypt(
            _ZERO_NONCE, _hex_field(entry, "wrapped"), me.key_id.encode("ascii")
        )
    except (ValueError, InvalidTag) as exc:  # low-order point, bad tag
        raise FormatError(detail=f"content key for {me.key_id} cannot be unwrapped") from exc
    if len(key) != 32:
        raise FormatError(detail="content key has the wrong length")
    return key
