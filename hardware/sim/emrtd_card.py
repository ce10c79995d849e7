"""An emulated ICAO 9303 eMRTD chip behind vpcd: BAC, secure messaging, files of any size.

`EmrtdCard(passport)` answers APDUs like the chip: before access control only SELECT of
the application (and the access-control commands); afterwards every command in secure
messaging, short or extended length, READ BINARY B0 and B1. The files and keys come from
`hardware.sim.emrtd_issue` (re-exported here for the tests, the benchmark and the demo).
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from hardware.cards import bac, ec_math, tlv
from hardware.cards.apdu import parse_command
from hardware.cards.errors import MalformedCardData
from hardware.cards.pace import PaceUnsupported
from hardware.cards.sm import CardSecureMessaging, Des3Sm, session_cipher
from hardware.sim.emrtd_issue import (
    FID_CARD_ACCESS,
    FID_COM,
    FID_DG1,
    FID_DG2,
    FID_SOD,
    DemoPki,
    Passport,
    chip_photo,
    dg2_for,
    issue_passport,
    make_pki,
    td3_mrz,
)
from hardware.sim.iso7816_card import SW_INS, SW_NOT_FOUND, SW_OK, SW_WRONG_LENGTH, FileCard
from hardware.sim.pace_chip import PaceChip, card_access_info

__all__ = [
    "AID",
    "EMRTD_ATR",
    "FID_COM",
    "FID_DG1",
    "FID_DG2",
    "FID_SOD",
    "DemoPki",
    "EmrtdCard",
    "Passport",
    "chip_photo",
    "dg2_for",
    "issue_passport",
    "make_pki",
    "td3_mrz",
]

AID = bytes.fromhex("A0000002471001")
EMRTD_ATR = bytes.fromhex("3B8880014A434F503331560071")  # contactless, PC/SC part 3 style
SW_SM_ERROR = b"\x69\x88"
SW_NOT_SATISFIED = b"\x69\x82"


class EmrtdCard(FileCard):
    """Answers like an eMRTD chip: before access control (PACE or BAC) only the application's
    SELECT, EF.CardAccess and the access-control commands."""

    def __init__(self, passport: Passport, atr: bytes = EMRTD_ATR) -> None:
        super().__init__(atr, aid=AID, files=passport.files, uid=passport.uid)
        self.passport = passport
        seed = bac.seed_from_mrz(passport.key)
        self._k_enc, self._k_mac = bac.kdf(seed, 1), bac.kdf(seed, 2)
        self.failed_auth = 0
        self.pace: PaceChip | None = None
        if passport.card_access is not None:
            try:
                info = card_access_info(passport.card_access)
                self.pace = PaceChip(info, passport.key, passport.can)
            except PaceUnsupported:  # a variant the emulator does not run: no PACE answers
                self.pace = None
        self.power(True)

    def power(self, on: bool) -> None:
        super().power(on)
        self._rnd_ic: bytes | None = None
        self.sm: CardSecureMessaging | None = None
        self._next_sm: CardSecureMessaging | None = None  # after chip authentication
        self._ca_oid: str | None = None
        pace_chip: PaceChip | None = getattr(self, "pace", None)  # None while constructing
        if pace_chip is not None:
            pace_chip.reset()

    def handle(self, command: bytes) -> bytes:
        try:
            cmd = parse_command(command)
        except MalformedCardData:
            return SW_WRONG_LENGTH
        cla, ins = cmd.header[0], cmd.header[1]
        if cla == 0xFF:
            return super().handle(command)
        if cla & 0x0C == 0x0C:
            return self._secure(command, ins)
        if cmd.extended and not self.extended_length:
            return SW_WRONG_LENGTH
        if ins == 0xA4 and cmd.header[2] == 0x04:
            self.sm = None  # selecting the application again ends any session
            return super().handle(command)
        if ins == 0xB0 and self.selected == FID_CARD_ACCESS:
            return super().handle(command)
        return self.plain(cmd.header, cmd.data)

    def plain(self, header: bytes, data: bytes) -> bytes:
        """Commands outside secure messaging: EF.CardAccess, PACE and BAC."""
        ins, p1p2 = header[1], header[2:]
        if ins == 0xA4 and header[2] in (0x00, 0x02) and data == FID_CARD_ACCESS:
            if self.passport.card_access is None:
                return SW_NOT_FOUND
            self.selected = FID_CARD_ACCESS  # EF.CardAccess lives under the MF, readable by all
            return SW_OK
        if self.pace is not None and ins == 0x22 and p1p2 == b"\xc1\xa4":
            return self.pace.set_at(data)
        if self.pace is not None and ins == 0x86:
            answer = self.pace.general_authenticate(data)
            if answer == b"\x63\x00":
                self.failed_auth += 1
            if self.pace.session is not None:
                self.sm, self.pace.session = self.pace.session, None
            return answer
        if ins == 0x84 and self.passport.bac:
            self._rnd_ic = os.urandom(8)
            return self._rnd_ic + SW_OK
        if ins == 0x82 and self.passport.bac:
            return self._mutual_auth(data)
        if ins in (0xA4, 0xB0, 0xB1):
            return SW_NOT_SATISFIED  # security status not satisfied: access control first
        return SW_INS

    def secured(self, plain: bytes) -> bytes:
        """A command that arrived in secure messaging, unwrapped: files, active and chip
        authentication."""
        cmd = parse_command(plain)
        ins, p1p2 = cmd.header[1], cmd.header[2:]
        if ins == 0x88:
            return self._internal_authenticate(cmd.data)
        if ins == 0x22 and p1p2 in (b"\x41\xa4", b"\x41\xa6"):
            return self._chip_auth_mse(p1p2, cmd.data)
        if ins == 0x86 and self._ca_oid is not None:
            return self._chip_auth_ga(cmd.data)
        return FileCard.handle(self, plain)

    # -- active authentication (DG15) --------------------------------------------------

    def _internal_authenticate(self, challenge: bytes) -> bytes:
        key = self.passport.aa_key
        if key is None or len(challenge) != 8:
            return SW_INS if key is None else b"\x67\x00"
        if isinstance(key, rsa.RSAPrivateKey):
            return _iso9796_2_sign(key, challenge) + SW_OK
        r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big") + SW_OK

    # -- chip authentication (DG14) ----------------------------------------------------

    def _chip_auth_mse(self, p1p2: bytes, data: bytes) -> bytes:
        if self.passport.ca_key is None:
            return b"\x6a\x80"
        try:
            found = {o.tag: o for o in tlv.parse_all(data)}
        except MalformedCardData:
            return b"\x6a\x80"
        if p1p2 == b"\x41\xa6":  # MSE:Set KAT (3DES): the terminal's key comes at once
            if 0x91 not in found or self.passport.ca_cipher != "3DES":
                return b"\x6a\x80"
            return self._chip_auth_agree(found[0x91].value)
        if 0x80 not in found:
            return b"\x6a\x80"
        self._ca_oid = tlv.der_oid(found[0x80].value)
        return SW_OK

    def _chip_auth_ga(self, data: bytes) -> bytes:
        self._ca_oid = None
        try:
            outer, _ = tlv.parse_one(data)
            point = outer.find(0x80).value
        except MalformedCardData:
            return b"\x6a\x80"
        answer = self._chip_auth_agree(point)
        return tlv.encode(0x7C, b"") + answer if answer == SW_OK else answer

    def _chip_auth_agree(self, point: bytes) -> bytes:
        key = self.passport.ca_key
        assert key is not None
        curve = ec_math.curve_named(self.passport.ca_curve)
        try:
            theirs = ec_math.decode_point(curve, point)
        except MalformedCardData:
            return b"\x6a\x80"
        shared = ec_math.shared_x(curve, key.private_numbers().private_value, theirs)
        self._next_sm = CardSecureMessaging(session_cipher(shared, self.passport.ca_cipher), 0)
        return SW_OK

    def _mutual_auth(self, data: bytes) -> bytes:
        if self._rnd_ic is None or len(data) != 40:
            return b"\x69\x85"
        e_ifd, m_ifd = data[:32], data[32:]
        if bac.retail_mac(self._k_mac, bac.pad(e_ifd)) != m_ifd:
            self.failed_auth += 1
            return b"\x63\x00"
        plain = bac.des3_decrypt(self._k_enc, e_ifd)
        rnd_ifd, rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if rnd_ic != self._rnd_ic:
            return b"\x63\x00"
        k_ic = os.urandom(16)
        e_ic = bac.des3_encrypt(self._k_enc, self._rnd_ic + rnd_ifd + k_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        ssc = int.from_bytes(self._rnd_ic[4:] + rnd_ifd[4:], "big")
        self.sm = CardSecureMessaging(Des3Sm(bac.kdf(seed, 1), bac.kdf(seed, 2)), ssc)
        return e_ic + bac.retail_mac(self._k_mac, bac.pad(e_ic)) + b"\x90\x00"

    def _secure(self, command: bytes, ins: int) -> bytes:
        sm = self.sm
        if sm is None:
            return SW_NOT_SATISFIED
        plain = sm.unwrap(command)
        if plain is None or (parse_command(plain).extended and not self.extended_length):
            self.sm = None  # an SM error ends the session, as on a real chip
            return SW_SM_ERROR
        answer = self.secured(plain)
        # the answer goes out under the keys the command came in with (chip authentication
        # switches keys only after its own answer)
        wrapped = sm.wrap(ins, answer)
        if self._next_sm is not None:
            self.sm, self._next_sm = self._next_sm, None
        return wrapped


def _iso9796_2_sign(key: rsa.RSAPrivateKey, challenge: bytes) -> bytes:
    """ISO/IEC 9796-2 scheme 1, partial recovery, SHA-1 (trailer BC), as most chips sign."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    m1 = os.urandom(size - 2 - 20)
    block = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
    return pow(int.from_bytes(block, "big"), numbers.d, n).to_bytes(size, "big")
