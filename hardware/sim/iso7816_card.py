"""A transparent-file ISO 7816-4 card: SELECT (AID, FID, path) and READ BINARY.

READ BINARY comes as B0 (15-bit offset in P1-P2) and B1 (offset in data object 54, answer
in data object 53), short or extended length; `extended_length=False` makes the card answer
6700 to extended-length APDUs, like the many chips (and readers) without them.
The eMRTD and national-ID emulators build on it. Files are plain bytes; `mute_on` and
`fail_on` let tests make one command hang or fail like a worn card.
"""

from __future__ import annotations

from collections.abc import Mapping

from hardware.cards import tlv
from hardware.cards.apdu import parse_command
from hardware.cards.errors import MalformedCardData

SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_NO_EF = b"\x69\x86"
SW_OFFSET = b"\x6b\x00"
SW_INS = b"\x6d\x00"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_WRONG_LENGTH = b"\x67\x00"
SW_WRONG_DATA = b"\x6a\x80"


class FileCard:
    """Files keyed by FID (2 bytes, under the selected application) or by absolute path."""

    def __init__(
        self,
        atr: bytes,
        *,
        aid: bytes | None = None,
        files: Mapping[bytes, bytes] | None = None,
        paths: Mapping[bytes, bytes] | None = None,
        uid: bytes | None = None,
    ) -> None:
        self.atr = atr
        self.aid = aid
        self.files = dict(files or {})
        self.paths = dict(paths or {})
        self.uid = uid
        self.selected: bytes | None = None
        self.app_selected = False
        self.mute_on: bytes | None = None  # command prefix that gets no answer at all
        self.extended_length = True
        self.log: list[bytes] = []

    def power(self, on: bool) -> None:
        self.selected = None
        self.app_selected = False

    def apdu(self, command: bytes) -> bytes | None:
        self.log.append(command)
        if self.mute_on is not None and command.startswith(self.mute_on):
            return None
        return self.handle(command)

    def handle(self, command: bytes) -> bytes:
        try:
            cmd = parse_command(command)
        except MalformedCardData:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = cmd.header
        if cmd.extended and not self.extended_length:
            return SW_WRONG_LENGTH
        if cla == 0xFF and ins == 0xCA:
            return self.uid + SW_OK if self.uid else b"\x6a\x81"
        if ins == 0xA4:
            return self.select(p1, cmd.data)
        if ins == 0xB0:
            return self.read_binary(((p1 & 0x7F) << 8) | p2, cmd.le)
        if ins == 0xB1:
            return self.read_binary_odd(cmd.data, cmd.le)
        return SW_INS

    def select(self, p1: int, data: bytes) -> bytes:
        if p1 == 0x04:
            if self.aid is not None and data == self.aid:
                self.app_selected = True
                self.selected = None
                return SW_OK
            return SW_NOT_FOUND
        if p1 == 0x02 and self.app_selected and data in self.files:
            self.selected = data
            return SW_OK
        if p1 == 0x08 and data in self.paths:
            self.selected = data
            return SW_OK
        return SW_NOT_FOUND

    def current(self) -> bytes | None:
        if self.selected is None:
            return None
        return self.files.get(self.selected, self.paths.get(self.selected))

    def read_binary(self, offset: int, le: int | None) -> bytes:
        content = self.current()
        if content is None:
            return SW_NO_EF
        if offset >= len(content):
            return SW_OFFSET
        return content[offset : offset + (le or 256)] + SW_OK

    def read_binary_odd(self, data: bytes, le: int | None) -> bytes:
        try:
            offset_do, _ = tlv.parse_one(data)
        except MalformedCardData:
            return SW_WRONG_DATA
        if offset_do.tag != 0x54 or not 1 <= len(offset_do.value) <= 3:
            return SW_WRONG_DATA
        content = self.current()
        if content is None:
            return SW_NO_EF
        offset = int.from_bytes(offset_do.value, "big")
        if offset >= len(content):
            return SW_OFFSET
        room = le or 256
        body = room - 2 if room <= 129 else room - 3 if room <= 258 else room - 4
        return tlv.encode(0x53, content[offset : offset + max(1, body)]) + SW_OK
