"""ICAO 9303-11 secure messaging (section 9.8) for both key kinds a chip can agree on.

BAC and PACE with 3DES give `Des3Sm` (8-byte blocks, zero IV, retail MAC, 8-byte send
sequence counter); PACE with AES gives `AesSm` (16-byte blocks, IV = E(KSenc, SSC), CMAC
truncated to 8 bytes, 16-byte counter). `SecureTransport` wraps any plain transport in either
one, for short and extended-length APDUs and for odd instructions (data in DO85, e.g. READ
BINARY B1). The card emulators use `CardSecureMessaging`, the same rules from the chip's side.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hardware.cards import apdu, tlv
from hardware.cards.apdu import Response, Transport
from hardware.cards.errors import MalformedCardData, SecureMessagingError


def pad(data: bytes, block: int = 8) -> bytes:
    """ISO 9797-1 padding method 2."""
    data += b"\x80"
    return data + bytes((-len(data)) % block)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise SecureMessagingError("bad padding in secure messaging data")
    return stripped[:-1]


def des3_cbc(key: bytes, data: bytes, iv: bytes = bytes(8), *, decrypt: bool = False) -> bytes:
    if len(data) % 8:
        raise SecureMessagingError("ciphertext is not a whole number of blocks")
    cipher = Cipher(TripleDES(key + key[:8] if len(key) == 16 else key), modes.CBC(iv))
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def retail_mac(key: bytes, padded: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 (DES CBC with K1, final block 3DES), input already padded."""
    k1, k2 = key[:8], key[8:16]
    single = Cipher(TripleDES(k1 * 3), modes.CBC(bytes(8))).encryptor()
    h = (single.update(padded) + single.finalize())[-8:]
    dec = Cipher(TripleDES(k2 * 3), modes.ECB()).decryptor()
    h = dec.update(h) + dec.finalize()
    enc = Cipher(TripleDES(k1 * 3), modes.ECB()).encryptor()
    return enc.update(h) + enc.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


class SmCipher(Protocol):
    block: int  # also the length of the send sequence counter

    def encrypt(self, padded: bytes, ssc: bytes) -> bytes: ...

    def decrypt(self, data: bytes, ssc: bytes) -> bytes: ...

    def mac(self, padded: bytes) -> bytes: ...


class Des3Sm:
    block = 8

    def __init__(self, ks_enc: bytes, ks_mac: bytes) -> None:
        self.ks_enc, self.ks_mac = ks_enc, ks_mac

    def encrypt(self, padded: bytes, ssc: bytes) -> bytes:
        return des3_cbc(self.ks_enc, padded)

    def decrypt(self, data: bytes, ssc: bytes) -> bytes:
        return des3_cbc(self.ks_enc, data, decrypt=True)

    def mac(self, padded: bytes) -> bytes:
        return retail_mac(self.ks_mac, padded)


class AesSm:
    block = 16

    def __init__(self, ks_enc: bytes, ks_mac: bytes) -> None:
        self.ks_enc, self.ks_mac = ks_enc, ks_mac

    def _iv(self, ssc: bytes) -> bytes:
        enc = Cipher(algorithms.AES(self.ks_enc), modes.ECB()).encryptor()
        return enc.update(ssc) + enc.finalize()

    def encrypt(self, padded: bytes, ssc: bytes) -> bytes:
        enc = Cipher(algorithms.AES(self.ks_enc), modes.CBC(self._iv(ssc))).encryptor()
        return enc.update(padded) + enc.finalize()

    def decrypt(self, data: bytes, ssc: bytes) -> bytes:
        if len(data) % 16:
            raise SecureMessagingError("ciphertext is not a whole number of blocks")
        dec = Cipher(algorithms.AES(self.ks_enc), modes.CBC(self._iv(ssc))).decryptor()
        return dec.update(data) + dec.finalize()

    def mac(self, padded: bytes) -> bytes:
        return aes_cmac(self.ks_mac, padded)[:8]


class _Counter:
    def __init__(self, cipher: SmCipher, ssc: int) -> None:
        self.cipher = cipher
        self.value = ssc

    def next(self) -> bytes:
        self.value = (self.value + 1) % (1 << (8 * self.cipher.block))
        return self.value.to_bytes(self.cipher.block, "big")


def _data_object(cipher: SmCipher, ssc: bytes, plain: bytes, odd: bool) -> bytes:
    encrypted = cipher.encrypt(pad(plain, cipher.block), ssc)
    return tlv.encode(0x85, encrypted) if odd else tlv.encode(0x87, b"\x01" + encrypted)


def _open_data_object(cipher: SmCipher, ssc: bytes, found: dict[int, tlv.Tlv]) -> bytes:
    if 0x87 in found:
        value = found[0x87].value
        if not value or value[0] != 0x01:
            raise SecureMessagingError("SM data object without padding indicator")
        return unpad(cipher.decrypt(value[1:], ssc))
    if 0x85 in found:
        return unpad(cipher.decrypt(found[0x85].value, ssc))
    return b""


def _objects(data: bytes) -> dict[int, tlv.Tlv]:
    try:
        return {o.tag: o for o in tlv.parse_all(data)}
    except MalformedCardData as exc:
        raise SecureMessagingError(f"malformed SM data: {exc.detail}") from exc


class SecureTransport:
    """Wraps a plain transport in secure messaging. Raises SecureMessagingError on any SM
    fault (the session is then over: a chip drops its keys on the first SM error)."""

    def __init__(self, inner: Transport, cipher: SmCipher, ssc: int) -> None:
        self._inner = inner
        self.cipher = cipher
        self._ssc = _Counter(cipher, ssc)

    @property
    def ssc(self) -> int:
        return self._ssc.value

    @property
    def inner(self) -> Transport:
        """The plain transport underneath (chip authentication restarts SM on it)."""
        return self._inner

    def transmit(self, command: bytes) -> Response:
        cmd = apdu.parse_command(command)
        cipher = self.cipher
        header = bytes([cmd.header[0] | 0x0C]) + cmd.header[1:]
        ssc = self._ssc.next()
        odd = bool(cmd.header[1] & 1)
        body = _data_object(cipher, ssc, cmd.data, odd) if cmd.data else b""
        if cmd.le is not None:
            size = 2 if cmd.extended else 1
            body += tlv.encode(0x97, (cmd.le % (1 << (8 * size))).to_bytes(size, "big"))
        body += tlv.encode(
            0x8E, cipher.mac(pad(ssc + pad(header, cipher.block) + body, cipher.block))
        )
        extended = cmd.extended or len(body) > 255
        wrapped = apdu.command(
            header[0], header[1], header[2], header[3], body,
            le=0x10000 if extended else 256, extended=extended,
        )  # fmt: skip
        return self._unwrap(self._inner.transmit(wrapped))

    def _unwrap(self, response: Response) -> Response:
        if response.sw1 == 0x69 and response.sw2 in (0x87, 0x88):
            raise SecureMessagingError(f"card rejected secure messaging: {response.sw:04X}")
        ssc = self._ssc.next()
        if not response.data:  # plain error status, no SM objects (e.g. 6A82)
            if response.sw1 in (0x90, 0x61, 0x62, 0x63):
                # success and warnings must be protected: an unprotected 9000 proves nothing
                raise SecureMessagingError(f"unprotected status {response.sw:04X}")
            return response
        found = _objects(response.data)
        if 0x8E not in found or 0x99 not in found:
            raise SecureMessagingError("SM response without MAC or status object")
        covered = b"".join(found[t].raw for t in (0x85, 0x87) if t in found) + found[0x99].raw
        expected = self.cipher.mac(pad(ssc + covered, self.cipher.block))
        if not hmac.compare_digest(expected, found[0x8E].value):
            raise SecureMessagingError("SM response MAC does not verify")
        status = found[0x99].value
        if len(status) != 2:
            raise SecureMessagingError("SM status object is not two bytes")
        return Response(_open_data_object(self.cipher, ssc, found), status[0], status[1])


class CardSecureMessaging:
    """The chip's side: unwrap a protected command, wrap the plain answer."""

    def __init__(self, cipher: SmCipher, ssc: int) -> None:
        self.cipher = cipher
        self._ssc = _Counter(cipher, ssc)

    def unwrap(self, raw: bytes) -> bytes | None:
        """The plain command APDU, or None when the command's MAC or layout is wrong."""
        try:
            cmd = apdu.parse_command(raw)
            found = {o.tag: o for o in tlv.parse_all(cmd.data)}
            ssc = self._ssc.next()
            header = bytes([cmd.header[0] & ~0x0C & 0xFF]) + cmd.header[1:]
            covered = b"".join(found[t].raw for t in (0x85, 0x87, 0x97) if t in found)
            mac_in = pad(ssc + pad(cmd.header, self.cipher.block) + covered, self.cipher.block)
            if 0x8E not in found or not hmac.compare_digest(
                self.cipher.mac(mac_in), found[0x8E].value
            ):
                return None
            data = _open_data_object(self.cipher, ssc, found)
            le = int.from_bytes(found[0x97].value, "big") if 0x97 in found else None
            if le == 0:
                le = 0x10000 if cmd.extended else 256
            extended = cmd.extended or len(data) > 255 or (le or 0) > 256
            return apdu.command(
                header[0], header[1], header[2], header[3], data, le=le, extended=extended
            )
        except (MalformedCardData, SecureMessagingError, ValueError, KeyError):
            return None

    def wrap(self, ins: int, answer: bytes) -> bytes:
        body, sw = answer[:-2], answer[-2:]
        ssc = self._ssc.next()
        out = _data_object(self.cipher, ssc, body, bool(ins & 1)) if body else b""
        out += tlv.encode(0x99, sw)
        mac = self.cipher.mac(pad(ssc + out, self.cipher.block))
        return out + tlv.encode(0x8E, mac) + sw


KEY_LENGTHS = {"3DES": 16, "AES-128": 16, "AES-192": 24, "AES-256": 32}


def derive_key(secret: bytes, counter: int, cipher: str) -> bytes:
    """ICAO 9303-11 section 9.7.1: KDF(K, c) = H(K || c), SHA-1 for 3DES and AES-128,
    SHA-256 for AES-192/256, cut to the key length (1 = KSenc, 2 = KSmac, 3 = PACE's Kpi)."""
    name = "sha1" if cipher in ("3DES", "AES-128") else "sha256"
    return hashlib.new(name, secret + counter.to_bytes(4, "big")).digest()[: KEY_LENGTHS[cipher]]


def session_cipher(secret: bytes, cipher: str) -> SmCipher:
    """The secure-messaging cipher for a shared secret from PACE or chip authentication."""
    enc, mac = derive_key(secret, 1, cipher), derive_key(secret, 2, cipher)
    return Des3Sm(enc, mac) if cipher == "3DES" else AesSm(enc, mac)


def mac_for(cipher: str, key: bytes, data: bytes) -> bytes:
    """The 8-byte MAC of `data` (padded here for 3DES, as CMAC needs no padding)."""
    return retail_mac(key, pad(data)) if cipher == "3DES" else aes_cmac(key, data)[:8]
