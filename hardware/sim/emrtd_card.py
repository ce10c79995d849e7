"""An emulated ICAO 9303 eMRTD chip behind vpcd: BAC, secure messaging, files of any size.

`EmrtdCard(passport)` answers APDUs like the chip: before access control only SELECT of
the application (and the access-control commands); afterwards every command in secure
messaging, short or extended length, READ BINARY B0 and B1. The files and keys come from
`hardware.sim.emrtd_issue` (re-exported here for the tests, the benchmark and the demo).
"""

from __future__ import annotations

import os

from hardware.cards import bac
from hardware.cards.apdu import parse_command
from hardware.cards.errors import MalformedCardData
from hardware.cards.sm import CardSecureMessaging, Des3Sm
from hardware.sim.emrtd_issue import (
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
from hardware.sim.iso7816_card import SW_INS, SW_WRONG_LENGTH, FileCard

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
    """Answers like an eMRTD chip: nothing but the application's SELECT before BAC."""

    def __init__(self, passport: Passport, atr: bytes = EMRTD_ATR) -> None:
        super().__init__(atr, aid=AID, files=passport.files, uid=passport.uid)
        self.passport = passport
        seed = bac.seed_from_mrz(passport.key)
        self._k_enc, self._k_mac = bac.kdf(seed, 1), bac.kdf(seed, 2)
        self.failed_auth = 0
        self.power(True)

    def power(self, on: bool) -> None:
        super().power(on)
        self._rnd_ic: bytes | None = None
        self.sm: CardSecureMessaging | None = None

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
        return self.plain(cmd.header, cmd.data)

    def plain(self, header: bytes, data: bytes) -> bytes:
        """Commands outside secure messaging (access control): BAC here."""
        ins = header[1]
        if ins == 0x84:
            self._rnd_ic = os.urandom(8)
            return self._rnd_ic + b"\x90\x00"
        if ins == 0x82:
            return self._mutual_auth(data)
        if ins in (0xA4, 0xB0, 0xB1):
            return SW_NOT_SATISFIED  # security status not satisfied: access control first
        return SW_INS

    def secured(self, plain: bytes) -> bytes:
        """A command that arrived in secure messaging, unwrapped: files (and subclasses'
        authentication commands)."""
        return FileCard.handle(self, plain)

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
        return sm.wrap(ins, answer)
