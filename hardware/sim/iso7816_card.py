"""A transparent-file ISO 7816-4 card: SELECT (AID, FID, path) and READ BINARY.

The eMRTD and national-ID emulators build on it. Files are plain bytes; `mute_on` and
`fail_on` let tests make one command hang or fail like a worn card.
"""

from __future__ import annotations

from collections.abc import Mapping

SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_NO_EF = b"\x69\x86"
SW_OFFSET = b"\x6b\x00"
SW_INS = b"\x6d\x00"
SW_WRONG_P1P2 = b"\x6a\x86"


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
        if len(command) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = command[:4]
        if cla == 0xFF and ins == 0xCA:
            return self.uid + SW_OK if self.uid else b"\x6a\x81"
        data, le = _body(command)
        if ins == 0xA4:
            return self.select(p1, data)
        if ins == 0xB0:
            return self.read_binary(((p1 & 0x7F) << 8) | p2, le)
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
        want = 256 if not le else le
        return content[offset : offset + want] + SW_OK


def _body(command: bytes) -> tuple[bytes, int | None]:
    body = command[4:]
    if not body:
        return b"", None
    if len(body) == 1:
        return b"", body[0]
    lc = body[0]
    data = body[1 : 1 + lc]
    le = body[1 + lc] if len(body) > 1 + lc else None
    return data, le
