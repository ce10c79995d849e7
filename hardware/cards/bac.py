"""ICAO 9303 part 11 Basic Access Control and 3DES secure messaging.

`establish(transport, key)` runs GET CHALLENGE + MUTUAL AUTHENTICATE and returns a
`SecureTransport` that wraps every later APDU (DO87/DO97/DO8E, retail MAC, send sequence
counter). The card emulator in `hardware.sim.emrtd_card` uses the same primitives from the
card's side, which is why they are public here.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from hardware.cards import apdu, tlv
from hardware.cards.apdu import Response, Transport
from hardware.cards.errors import AccessDenied, MalformedCardData, SecureMessagingError
from hardware.cards.mrz import BacKey

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


def pad(data: bytes) -> bytes:
    """ISO 9797-1 padding method 2."""
    data += b"\x80"
    return data + bytes((-len(data)) % 8)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise SecureMessagingError("bad padding in secure messaging response")
    return stripped[:-1]


def des3_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    enc = Cipher(TripleDES(key + key[:8]), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def des3_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    if len(data) % 8:
        raise SecureMessagingError("ciphertext is not a whole number of blocks")
    dec = Cipher(TripleDES(key + key[:8]), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def retail_mac(key: bytes, padded: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 (DES CBC with K1, final block 3DES), input already padded."""
    k1, k2 = key[:8], key[8:16]
    single = Cipher(TripleDES(k1 * 3), modes.CBC(ZERO_IV)).encryptor()
    h = (single.update(padded) + single.finalize())[-8:]
    dec = Cipher(TripleDES(k2 * 3), modes.ECB()).decryptor()
    h = dec.update(h) + dec.finalize()
    enc = Cipher(TripleDES(k1 * 3), modes.ECB()).encryptor()
    return enc.update(h) + enc.finalize()


class SecureTransport:
    """Wraps a plain transport in BAC secure messaging (ICAO 9303-11, section 9.8)."""

    def __init__(self, inner: Transport, ks_enc: bytes, ks_mac: bytes, ssc: int) -> None:
        self._inner = inner
        self._ks_enc = ks_enc
        self._ks_mac = ks_mac
        self._ssc = ssc

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << 64)
        return self._ssc.to_bytes(8, "big")

    def transmit(self, command: bytes) -> Response:
        cla, ins, p1, p2 = command[0] | 0x0C, command[1], command[2], command[3]
        body = command[4:]
        data, le = b"", None
        if len(body) == 1:
            le = body[0]
        elif body:
            lc = body[0]
            data = body[1 : 1 + lc]
            if len(body) > 1 + lc:
                le = body[1 + lc]
        header = bytes([cla, ins, p1, p2])
        do87 = b""
        if data:
            do87 = tlv.encode(0x87, b"\x01" + des3_encrypt(self._ks_enc, pad(data)))
        do97 = tlv.encode(0x97, bytes([le])) if le is not None else b""
        mac = retail_mac(self._ks_mac, pad(self._next_ssc() + pad(header) + do87 + do97))
        payload = do87 + do97 + tlv.encode(0x8E, mac)
        raw = self._inner.transmit(header + bytes([len(payload)]) + payload + b"\x00")
        return self._unwrap(raw)

    def _unwrap(self, response: Response) -> Response:
        if response.sw1 == 0x69 and response.sw2 in (0x87, 0x88):
            raise SecureMessagingError(f"card rejected secure messaging: {response.sw:04X}")
        if not response.data:  # plain error status, no SM objects (e.g. 6A82)
            self._next_ssc()
            return response
        try:
            objects = tlv.parse_all(response.data)
        except MalformedCardData as exc:
            raise SecureMessagingError(f"malformed SM response: {exc.detail}") from exc
        found = {o.tag: o for o in objects}
        if 0x8E not in found or 0x99 not in found:
            raise SecureMessagingError("SM response without MAC or status object")
        do87 = found[0x87].raw if 0x87 in found else b""
        expected = retail_mac(self._ks_mac, pad(self._next_ssc() + do87 + found[0x99].raw))
        if not hmac.compare_digest(expected, found[0x8E].value):
            raise SecureMessagingError("SM response MAC does not verify")
        status = found[0x99].value
        if len(status) != 2:
            raise SecureMessagingError("SM status object is not two bytes")
        plain = b""
        if 0x87 in found:
            value = found[0x87].value
            if not value or value[0] != 0x01:
                raise SecureMessagingError("SM data object without padding indicator")
            plain = unpad(des3_decrypt(self._ks_enc, value[1:]))
        return Response(plain, status[0], status[1])


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
    return SecureTransport(transport, kdf(session_seed, 1), kdf(session_seed, 2), ssc)
