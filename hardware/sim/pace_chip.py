"""The chip's side of PACE Generic Mapping (ECDH and DH) for the eMRTD emulator.

Shares `hardware.cards.pace.PaceMath` with the terminal, so the emulator is only as right
as the arithmetic the worked-example test pins down; the protocol steps (which key is sent
when, what is checked) are written here from the chip's point of view.
"""

from __future__ import annotations

import os
from typing import Any

from hardware.cards import pace, security_infos, tlv
from hardware.cards.errors import MalformedCardData
from hardware.cards.mrz import BacKey, CanKey
from hardware.cards.security_infos import PaceInfo
from hardware.cards.sm import CardSecureMessaging, derive_key, session_cipher

SW_OK = b"\x90\x00"
SW_AUTH_FAILED = b"\x63\x00"
SW_CONDITIONS = b"\x69\x85"
SW_WRONG_DATA = b"\x6a\x80"


class PaceChip:
    """One PACE run at a time; `answer(...)` returns the response APDU, and `session` holds
    the secure messaging once the terminal's token verified."""

    def __init__(self, info: PaceInfo, mrz: BacKey, can: str) -> None:
        self.info = info
        self.math = pace.PaceMath.for_info(info)
        self._passwords = {
            pace.PASSWORD_MRZ: pace.password(mrz)[1],
            pace.PASSWORD_CAN: pace.password(CanKey(can))[1],
        }
        self.failed = 0
        self.reset()

    def reset(self) -> None:
        self._step = 0
        self._password: bytes | None = None
        self._nonce = b""
        self._map_scalar = 0
        self._their_map = b""
        self._mapped: Any = None
        self._eph_scalar = 0
        self._ours = b""
        self._theirs = b""
        self._secret = b""
        self.session: CardSecureMessaging | None = None

    def set_at(self, data: bytes) -> bytes:
        self.reset()
        try:
            found = {o.tag: o.value for o in tlv.parse_all(data)}
            oid = tlv.der_oid(found[0x80])
            reference = found[0x83][0]
        except (MalformedCardData, KeyError, IndexError):
            return SW_WRONG_DATA
        if oid != self.info.oid or reference not in self._passwords:
            return SW_WRONG_DATA
        self._password = self._passwords[reference]
        self._step = 1
        return SW_OK

    def general_authenticate(self, data: bytes) -> bytes:
        try:
            outer, _ = tlv.parse_one(data)
            kids = outer.children() if outer.tag == 0x7C else []
        except MalformedCardData:
            return SW_WRONG_DATA
        item = kids[0] if kids else None
        try:
            return self._step_answer(item)
        except MalformedCardData:  # a point off the curve, a bad length: the run is over
            self.reset()
            return SW_WRONG_DATA

    def _step_answer(self, item: tlv.Tlv | None) -> bytes:
        math, cipher = self.math, self.info.cipher
        if self._step == 1 and item is None and self._password is not None:
            self._nonce = os.urandom(8 if cipher == "3DES" else 16)
            k_pi = derive_key(self._password, 3, cipher)
            z = pace.encrypt_nonce(cipher, k_pi, self._nonce)
            return self._next(tlv.encode(0x80, z))
        if self._step == 2 and item is not None and item.tag == 0x81:
            self._map_scalar = math.random_scalar()
            self._their_map = item.value
            self._mapped = math.mapped_generator(self._nonce, self._map_scalar, item.value)
            return self._next(tlv.encode(0x82, math.public(self._map_scalar)))
        if self._step == 3 and item is not None and item.tag == 0x83:
            if item.value == self._their_map:
                raise MalformedCardData("terminal reused its mapping key")
            self._eph_scalar = math.random_scalar()
            self._ours = math.public(self._eph_scalar, self._mapped)
            self._theirs = item.value
            self._secret = math.shared_secret(self._eph_scalar, item.value)
            return self._next(tlv.encode(0x84, self._ours))
        if self._step == 4 and item is not None and item.tag == 0x85:
            ks_mac = derive_key(self._secret, 2, cipher)
            if item.value != math.token(ks_mac, self._ours):
                self.failed += 1
                self.reset()
                return SW_AUTH_FAILED
            token = math.token(ks_mac, self._theirs)
            session = CardSecureMessaging(session_cipher(self._secret, cipher), 0)
            self.reset()
            self.session = session
            return tlv.encode(0x7C, tlv.encode(0x86, token)) + SW_OK
        self.reset()
        return SW_CONDITIONS

    def _next(self, body: bytes) -> bytes:
        self._step += 1
        return tlv.encode(0x7C, body) + SW_OK


def card_access_info(card_access: bytes) -> PaceInfo:
    infos = security_infos.pace_infos(security_infos.parse(card_access))
    if not infos:
        raise ValueError("EF.CardAccess without PACEInfo")
    return infos[0]
