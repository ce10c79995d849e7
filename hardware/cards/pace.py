"""PACE (ICAO 9303-11 section 4.4, BSI TR-03110): Generic Mapping, ECDH and DH.

The terminal proves it knows the password (the MRZ's BAC data or the CAN) without ever
sending it: the chip encrypts a nonce s under K_pi = KDF(pi, 3); both sides map the curve's
generator to G~ = s*G + H (H from an anonymous ECDH), run a second ECDH on G~ and derive
session keys from it; authentication tokens (MACs over each other's ephemeral key) confirm
the keys. Secure messaging then runs with AES or 3DES (`hardware.cards.sm`), SSC = 0.

The arithmetic (`PaceMath`, over a standardized curve or an RFC 5114 group) is separate from
the APDUs so the worked examples in ICAO 9303-11 appendix G (G.1 ECDH, G.2 DH) check it
step by step, and the card emulator shares it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hardware.cards import apdu, ec_math, tlv
from hardware.cards.apdu import Transport
from hardware.cards.dh_groups import STANDARD_GROUPS, DhGroup
from hardware.cards.errors import AccessDenied, MalformedCardData, SecureMessagingError
from hardware.cards.mrz import AccessKey, CanKey
from hardware.cards.security_infos import STANDARD_CURVES, PaceInfo
from hardware.cards.sm import SecureTransport, derive_key, mac_for, session_cipher

PASSWORD_MRZ, PASSWORD_CAN = 0x01, 0x02


class PaceUnsupported(Exception):
    """This chip's PACE variant is not one the station runs (the caller may use BAC)."""


def supported(info: PaceInfo) -> bool:
    """Generic mapping on a standardized curve (ECDH) or RFC 5114 group (DH)."""
    if info.mapping == "ECDH-GM":
        return info.parameter_id in STANDARD_CURVES
    return info.mapping == "DH-GM" and info.parameter_id in STANDARD_GROUPS


def password(key: AccessKey) -> tuple[int, bytes]:
    """(password reference, pi): SHA-1 of the MRZ information, or the CAN's digits."""
    if isinstance(key, CanKey):
        return PASSWORD_CAN, key.can.encode("ascii")
    return PASSWORD_MRZ, hashlib.sha1(key.mrz_information()).digest()


def _block_cipher(cipher: str, key: bytes) -> Cipher[Any]:
    if cipher == "3DES":
        return Cipher(TripleDES(key + key[:8]), modes.CBC(bytes(8)))
    return Cipher(algorithms.AES(key), modes.CBC(bytes(16)))


def encrypt_nonce(cipher: str, k_pi: bytes, nonce: bytes) -> bytes:
    enc = _block_cipher(cipher, k_pi).encryptor()
    return enc.update(nonce) + enc.finalize()


def decrypt_nonce(cipher: str, k_pi: bytes, z: bytes) -> bytes:
    if not z or len(z) % (8 if cipher == "3DES" else 16):
        raise MalformedCardData("PACE nonce is not a whole number of blocks")
    dec = _block_cipher(cipher, k_pi).decryptor()
    return dec.update(z) + dec.finalize()


def public_key_data(oid: str, key: bytes, tag: int = 0x86) -> bytes:
    """The public key data object (7F49) the authentication tokens are computed over: an EC
    point in 86, a DH public value in 84 (an unsigned integer, no leading zero bytes)."""
    if tag == 0x84:
        key = key.lstrip(b"\x00") or b"\x00"
    return tlv.encode(0x7F49, tlv.encode_oid(oid) + tlv.encode(tag, key))


class _EcGroup:
    """Generic mapping over an elliptic curve: G~ = s*G + H."""

    key_tag = 0x86

    def __init__(self, curve: ec_math.Curve) -> None:
        self.curve = curve

    def random_scalar(self) -> int:
        return ec_math.random_scalar(self.curve)

    def public(self, scalar: int, generator: Any = None) -> bytes:
        return ec_math.encode_point(self.curve, (generator or self.curve.generator) * scalar)

    def mapped(self, nonce: bytes, scalar: int, their_map_key: bytes) -> Any:
        h = ec_math.decode_point(self.curve, their_map_key) * scalar
        mapped = self.curve.generator * int.from_bytes(nonce, "big") + h
        if mapped == ec_math.INFINITY:
            raise MalformedCardData("PACE mapping gave the point at infinity")
        return mapped

    def shared(self, scalar: int, their_key: bytes) -> bytes:
        return ec_math.shared_x(self.curve, scalar, ec_math.decode_point(self.curve, their_key))


class _DhGroup:
    """Generic mapping over a prime field: g~ = g^s * h mod p."""

    key_tag = 0x84

    def __init__(self, group: DhGroup) -> None:
        self.group = group

    def random_scalar(self) -> int:
        return self.group.random_exponent()

    def public(self, scalar: int, generator: Any = None) -> bytes:
        base = self.group.g if generator is None else int(generator)
        return self.group.encode(pow(base, scalar, self.group.p))

    def mapped(self, nonce: bytes, scalar: int, their_map_key: bytes) -> Any:
        g = self.group
        h = pow(g.decode(their_map_key), scalar, g.p)
        mapped = pow(g.g, int.from_bytes(nonce, "big"), g.p) * h % g.p
        if mapped in (0, 1):
            raise MalformedCardData("PACE mapping gave a degenerate generator")
        return mapped

    def shared(self, scalar: int, their_key: bytes) -> bytes:
        g = self.group
        return g.encode(pow(g.decode(their_key), scalar, g.p))


@dataclass
class PaceMath:
    """One side's PACE generic-mapping computations (terminal and chip alike), over a curve
    (ECDH) or a prime field (DH)."""

    group: _EcGroup | _DhGroup
    oid: str
    cipher: str

    @classmethod
    def for_info(cls, info: PaceInfo) -> PaceMath:
        if not supported(info) or info.parameter_id is None:
            raise PaceUnsupported(f"PACE {info.mapping} parameters {info.parameter_id}")
        group: _EcGroup | _DhGroup
        if info.mapping == "DH-GM":
            group = _DhGroup(STANDARD_GROUPS[info.parameter_id])
        else:
            group = _EcGroup(ec_math.curve_named(STANDARD_CURVES[info.parameter_id]))
        return cls(group, info.oid, info.cipher)

    def random_scalar(self) -> int:
        return self.group.random_scalar()

    def public(self, scalar: int, generator: Any = None) -> bytes:
        return self.group.public(scalar, generator)

    def mapped_generator(self, nonce: bytes, scalar: int, their_map_key: bytes) -> Any:
        """The mapped generator from the nonce and the other side's mapping key (checked)."""
        return self.group.mapped(nonce, scalar, their_map_key)

    def shared_secret(self, scalar: int, their_key: bytes) -> bytes:
        return self.group.shared(scalar, their_key)

    def token(self, ks_mac: bytes, their_key: bytes) -> bytes:
        data = public_key_data(self.oid, their_key, self.group.key_tag)
        return mac_for(self.cipher, ks_mac, data)


def _ga(transport: Transport, tag: int, value: bytes, last: bool = False) -> tlv.Tlv:
    """One GENERAL AUTHENTICATE step (chained with CLA 10 except the last)."""
    data = tlv.encode(0x7C, tlv.encode(tag, value) if tag else b"")
    extended = len(data) > 255  # 2048-bit DH public values need extended length
    command = apdu.command(
        0x00 if last else 0x10, 0x86, 0, 0, data, le=0x10000 if extended else 256,
        extended=extended,
    )  # fmt: skip
    answer = transport.transmit(command)
    if answer.sw in (0x6300, 0x6982) or answer.sw1 == 0x63:
        raise AccessDenied(f"PACE step {tag:02X} refused: {answer.sw:04X}")
    if not answer.ok:
        raise SecureMessagingError(f"PACE step {tag:02X} failed: {answer.sw:04X}")
    outer, _ = tlv.parse_one(answer.data)
    if outer.tag != 0x7C or not outer.children():
        raise MalformedCardData("PACE answer is not dynamic authentication data")
    return outer.children()[0]


def establish(
    transport: Transport,
    info: PaceInfo,
    key: AccessKey,
    *,
    scalars: tuple[int, int] | None = None,
) -> SecureTransport:
    """Run PACE with `key`; returns secure messaging under the agreed keys.

    AccessDenied when the chip refuses the password; PaceUnsupported for a variant this
    station does not run; `scalars` (mapping, ephemeral) only for the worked example.
    """
    math = PaceMath.for_info(info)
    reference, pi = password(key)
    k_pi = derive_key(pi, 3, info.cipher)
    mse = tlv.encode(0x80, tlv.encode_oid(info.oid)[2:]) + tlv.encode(0x83, bytes([reference]))
    set_at = transport.transmit(apdu.command(0x00, 0x22, 0xC1, 0xA4, mse))
    if not set_at.ok:
        raise PaceUnsupported(f"MSE:Set AT refused: {set_at.sw:04X}")
    z = _ga(transport, 0, b"")
    if z.tag != 0x80:
        raise MalformedCardData("PACE: no encrypted nonce")
    nonce = decrypt_nonce(info.cipher, k_pi, z.value)
    map_scalar, eph_scalar = scalars or (math.random_scalar(), math.random_scalar())
    chip_map = _ga(transport, 0x81, math.public(map_scalar))
    if chip_map.tag != 0x82:
        raise MalformedCardData("PACE: no mapping key from the chip")
    mapped = math.mapped_generator(nonce, map_scalar, chip_map.value)
    ours = math.public(eph_scalar, mapped)
    chip_eph = _ga(transport, 0x83, ours)
    if chip_eph.tag != 0x84 or chip_eph.value == chip_map.value:
        raise MalformedCardData("PACE: chip's ephemeral key missing or equal to its mapping key")
    secret = math.shared_secret(eph_scalar, chip_eph.value)
    ks_mac = derive_key(secret, 2, info.cipher)
    chip_token = _ga(transport, 0x85, math.token(ks_mac, chip_eph.value), last=True)
    if chip_token.tag != 0x86 or not hmac.compare_digest(
        chip_token.value, math.token(ks_mac, ours)
    ):
        raise AccessDenied("PACE: the chip's authentication token does not verify")
    return SecureTransport(transport, session_cipher(secret, info.cipher), 0)
