"""An emulated contactless card that only answers PC/SC `GET DATA` with its UID.

Stands for the cheap MIFARE-type cards a venue may hand out; anything else gets 6D00.
"""

from __future__ import annotations

# ATR a PC/SC part 3 reader builds for a MIFARE Classic 1K
MIFARE_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")


class UidCard:
    def __init__(self, uid: bytes, atr: bytes = MIFARE_ATR) -> None:
        if not 4 <= len(uid) <= 10:
            raise ValueError("a UID is 4, 7 or 10 bytes")
        self.uid = uid
        self.atr = atr

    def power(self, on: bool) -> None:
        pass

    def apdu(self, command: bytes) -> bytes | None:
        if command[:4] == b"\xff\xca\x00\x00":
            return self.uid + b"\x90\x00"
        return b"\x6d\x00"
