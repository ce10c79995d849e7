"""China's resident ID card through a GA/T 467 SAM reader on a serial port (pyserial).

Frames both ways: `AA AA AA 96 69`, a 2-byte big-endian length (of what follows), then
command + parameter + data (or SW1 SW2 SW3 + data in answers), then an XOR checksum over
the length and body. A read is: find card (20 01, SW3 9F = found, 80 = none), select card
(20 02), read base text and photo (30 01: text length, photo length, text, WLT photo).

Like the PC/SC reader, `read()` returns each card once per presentation. The reader object
owns its port and is used from one thread (the door's device thread).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import serial

from hardware.cards.cn_layouts import parse_base_text
from hardware.cards.document import IdentityDocument
from hardware.cards.errors import MalformedCardData, ResidentIdReadFailed, SerialReaderError
from hardware.cards.wlt import NO_PHOTO_EN, NO_PHOTO_ZH, WltDecoder

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MAX_BODY = 4096
FIND_CARD, SELECT_CARD, READ_BASE = (0x20, 0x01), (0x20, 0x02), (0x30, 0x01)
SW_OK, SW_FOUND, SW_NO_CARD, SW_SELECT_FAILED = 0x90, 0x9F, 0x80, 0x81
STATUS_TEXT = {
    0x10: "checksum error at reader",
    0x11: "length error at reader",
    0x21: "command error",
    0x23: "unauthorized",
    0x24: "unknown command",
    0x31: "card failed to authenticate the SAM",
    0x32: "SAM failed to authenticate the card",
    0x33: "information verification error",
    0x40: "unknown card type",
    0x41: "read card failed",
    0x47: "operation failed",
    0x60: "SAM self-test failed",
    0x66: "SAM not authorized",
    0x80: "no card found",
    0x81: "select card failed",
}


def xor(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def encode_frame(body: bytes) -> bytes:
    """Preamble + length + body + checksum (commands: body = CMD PARA data)."""
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


@dataclass(frozen=True)
class Answer:
    sw1: int
    sw2: int
    sw3: int
    data: bytes


def decode_frame(frame: bytes) -> Answer:
    """One complete answer frame (as `read_frame` returns it). MalformedCardData if bad."""
    if not frame.startswith(PREAMBLE) or len(frame) < len(PREAMBLE) + 3:
        raise MalformedCardData("frame does not start with the GA/T 467 preamble")
    length = int.from_bytes(frame[5:7], "big")
    if length < 4 or len(frame) != 7 + length:
        raise MalformedCardData(f"frame length {length} does not match {len(frame) - 7} bytes")
    body, check = frame[7:-1], frame[-1]
    if xor(frame[5:7] + body) != check:
        raise MalformedCardData("frame checksum does not match")
    return Answer(body[0], body[1], body[2], body[3:])


def split_base(data: bytes) -> tuple[bytes, bytes]:
    """The (text, wlt photo) parts of a READ BASE answer."""
    if len(data) < 4:
        raise MalformedCardData("base info answer shorter than its length fields")
    text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if 4 + text_len + photo_len != len(data):
        raise MalformedCardData(f"base info lengths {text_len}+{photo_len} != {len(data) - 4}")
    return data[4 : 4 + text_len], data[4 + text_len :]


class Gat467Reader:
    """A `CardReader` for certified resident-ID readers (SAM inside, serial/USB-serial)."""

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        *,
        wlt_decoder: WltDecoder | None = None,
        frame_timeout: float = 2.0,
        poll_interval: float = 0.2,
    ) -> None:
        self.name = f"GA/T 467 {port}"
        self.port = port
        self.baud = baud
        self.frame_timeout = frame_timeout
        self.poll_interval = poll_interval
        self._decoder = wlt_decoder
        self._serial: serial.Serial | None = None
        self._consumed = False
        self._closed = threading.Event()

    # -- port --------------------------------------------------------------------------

    def _port(self) -> serial.Serial:
        if self._serial is None:
            try:
                self._serial = serial.Serial(self.port, self.baud, timeout=0.05)
            except (serial.SerialException, OSError) as exc:
                raise SerialReaderError(f"cannot open {self.port}: {exc}") from exc
        return self._serial

    def _drop_port(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass
            self._serial = None

    def read_frame(self) -> bytes:
        """Read one whole frame within `frame_timeout`; garbage before the preamble is skipped."""
        port = self._port()
        deadline = time.monotonic() + self.frame_timeout
        buf = bytearray()
        need = len(PREAMBLE) + 2
        while True:
            if time.monotonic() > deadline:
                if buf:  # part of a frame: damaged in transit, worth one retry
                    raise MalformedCardData(f"truncated frame ({len(buf)} bytes)")
                raise SerialReaderError(f"no answer within {self.frame_timeout:.1f} s")
            chunk = port.read(max(1, need - len(buf)))
            if not chunk:
                continue
            buf.extend(chunk)
            start = buf.find(PREAMBLE)
            if start < 0:
                del buf[: max(0, len(buf) - len(PREAMBLE) + 1)]
                continue
            del buf[:start]
            if len(buf) >= 7:
                length = int.from_bytes(buf[5:7], "big")
                if length > MAX_BODY:
                    raise MalformedCardData(f"frame claims {length} bytes")
                need = 7 + length
                if len(buf) >= need:
                    return bytes(buf[:need])

    def exchange(self, cmd: int, para: int, data: bytes = b"") -> Answer:
        """Send one command and return its answer; one retry after a damaged frame."""
        frame = encode_frame(bytes([cmd, para]) + data)
        for attempt in range(2):
            try:
                port = self._port()
                port.reset_input_buffer()
                port.write(frame)
                port.flush()
                return decode_frame(self.read_frame())
            except MalformedCardData as exc:
                if attempt:
                    raise SerialReaderError(f"damaged frames: {exc.detail}") from exc
                time.sleep(0.05)  # let the rest of a damaged frame arrive, then drop it
            except (serial.SerialException, OSError) as exc:
                self._drop_port()
                raise SerialReaderError(f"{self.port}: {exc}") from exc
        raise AssertionError("unreachable")

    # -- CardReader ----------------------------------------------------------------------

    def read(self, timeout: float) -> IdentityDocument | None:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            found = self.exchange(*FIND_CARD)
            if found.sw3 == SW_FOUND and not self._consumed:
                break
            if found.sw3 == SW_NO_CARD or found.sw3 == SW_SELECT_FAILED:
                self._consumed = False
            elif found.sw3 != SW_FOUND:
                raise SerialReaderError(STATUS_TEXT.get(found.sw3, f"status {found.sw3:02X}"))
            if time.monotonic() >= deadline:
                return None
            self._closed.wait(self.poll_interval)
        else:
            return None
        self._consumed = True  # whatever happens next, this presentation is used up
        selected = self.exchange(*SELECT_CARD)
        if selected.sw3 != SW_OK:
            raise ResidentIdReadFailed(STATUS_TEXT.get(selected.sw3, f"{selected.sw3:02X}"))
        answer = self.exchange(*READ_BASE)
        if answer.sw3 != SW_OK:
            raise ResidentIdReadFailed(STATUS_TEXT.get(answer.sw3, f"{answer.sw3:02X}"))
        text, wlt = split_base(answer.data)
        photo = self._decoder.decode(wlt) if (self._decoder is not None and wlt) else None
        raw = {"base_text": text.hex(), "wlt_photo": wlt.hex()}
        doc = parse_base_text(text, photo=photo, raw=raw)
        if photo is None:
            extra = dict(doc.extra) | {"photo_note_zh": NO_PHOTO_ZH, "photo_note_en": NO_PHOTO_EN}
            return _with_extra(doc, extra)
        return doc

    def close(self) -> None:
        self._closed.set()
        self._drop_port()


def _with_extra(doc: IdentityDocument, extra: dict[str, str]) -> IdentityDocument:
    return replace(doc, extra=extra)
