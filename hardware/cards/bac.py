"""ICAO 9303 part 11 Basic Access Control (BAC): 3DES keys from the MRZ.

`establish(transport, key)` runs GET CHALLENGE + MUTUAL AUTHENTICATE and returns a
`SecureTransport` (hardware.cards.sm) with 3DES session keys that wraps every later APDU.
The card emulator in `hardware.sim.emrtd_card` uses the same primitives from the card's
side, which is why they are public here.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from hardware.cards import apdu
from hardware.cards.apdu import Transport
from hardware.cards.errors import AccessDenied, SecureMessagingError
from hardware.cards.mrz import BacKey
from hardware.cards.sm import Des3Sm, SecureTransport, des3_cbc, pad, retail_mac, unpad

__all__ = ["SecureTransport", "establish", "kdf", "pad", "retail_mac", "seed_from_mrz", "unpad"]

ZERO_IV = bytes(8)


def _adjust_parity(key: bytes) -> bytes:
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") % 2 == 0))
    return bytes(out)


def kdf(seed: bytes, counter: int) -> bytes:
    """A 16-byte 2-key 3DES key from `seed` (1 = encryption, 2 = MAC)."""
    return _adjust_parity(hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16])


def seed_from_mrz(key: BacKey) -> bytes:
    return hashlib.sha1(key.mrz_information()).digest()[:16]


def des3_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    return des3_cbc(key, data, iv)


def des3_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    return des3_cbc(key, data, iv, decrypt=True)


def establish(transport: Transport, key: BacKey) -> SecureTransport:
    """Run BAC. Raises AccessDenied when the chip refuses this key."""
    seed = seed_from_mrz(key)
    k_enc, k_mac = kdf(seed, 1), kdf(seed, 2)
    challenge = transport.transmit(apdu.GET_CHALLENGE)
    if not challenge.ok or len(challenge.data) != 8:
        raise SecureMessagingError(f"GET CHALLENGE failed: {challenge.sw:04X}")
    rnd_ic = challenge.data
    rnd_ifd, k_ifd = os.urandom(8), os.urandom(16)
    e_ifd = des3_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    m_ifd = retail_mac(k_mac, pad(e_ifd))
    answer = transport.transmit(apdu.command(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, le=0x28))
    if answer.sw in (0x6300, 0x6982, 0x6988) or (answer.ok and len(answer.data) != 40):
        raise AccessDenied(f"MUTUAL AUTHENTICATE refused: {answer.sw:04X}")
    if not answer.ok:
        raise SecureMessagingError(f"MUTUAL AUTHENTICATE failed: {answer.sw:04X}")
    e_ic, m_ic = answer.data[:32], answer.data[32:]
    if not hmac.compare_digest(retail_mac(k_mac, pad(e_ic)), m_ic):
        raise AccessDenied("chip's authentication MAC does not verify with this key")
    plain = des3_decrypt(k_enc, e_ic)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise AccessDenied("chip's authentication nonces do not match")
    k_ic = plain[16:32]
    session_seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
    return SecureTransport(transport, Des3Sm(kdf(session_seed, 1), kdf(session_seed, 2)), ssc)
