"""A GA/T 467 resident-ID reader on a pseudo-terminal, for tests and the demo.

`Gat467Emulator()` opens a pty pair and answers frames on the master side from a thread;
the driver opens `emulator.port` (the slave path) like a USB-serial device. Tests lay cards
on it (`place(text, wlt)`), take them off (`take_away()`) and inject faults: `truncate_next`,
`corrupt_next` (bad checksum), `mute` (no answer), `status_override`.
"""

from __future__ import annotations

import os
import select
import termios
import threading
import tty

from hardware.cards.cn_layouts import encode_base_text
from hardware.cards.gat467 import PREAMBLE, SW_FOUND, SW_NO_CARD, SW_OK, encode_frame, xor
from hardware.cards.manual import check_digit


def resident_text(
    *,
    name: str = "张伟",
    sex: str = "1",
    nation: str = "01",
    birth: str = "19900115",
    address: str = "北京市海淀区中关村大街1号",
    number: str | None = None,
    authority: str = "北京市公安局海淀分局",
    start: str = "20200101",
    end: str = "20400101",
    card_type: str = " ",
) -> bytes:
    """A resident ID base text (card_type "J" makes it a HMT residence permit layout)."""
    if number is None:
        first17 = "11010819900115123"
        number = first17 + check_digit(first17)
    fields = [
        (0, name), (15, sex), (16, nation), (18, birth), (26, address), (61, number),
        (79, authority), (94, start), (102, end), (124, card_type),
    ]  # fmt: skip
    return encode_base_text(fields)


def foreign_text(
    *,
    english: str = "SMITH JOHN",
    sex: str = "1",
    number: str = "USA110090011501",
    nationality: str = "USA",
    chinese: str = "史密斯",
    start: str = "20200101",
    end: str = "20300101",
    birth: str = "19900115",
) -> bytes:
    fields = [
        (0, english), (60, sex), (61, number), (76, nationality), (79, chinese),
        (94, start), (102, end), (110, birth), (118, "20"), (120, "1100"), (124, "I"),
    ]  # fmt: skip
    return encode_base_text(fields)


def foreign_2023_text(
    *,
    chinese: str = "史密斯",
    sex: str = "1",
    renewals: str = "00",
    birth: str = "19850101",
    english: str = "SMITH, JOHN ALEXANDER",
    number: str | None = None,
    start: str = "20231201",
    end: str = "20331130",
    nationality: str = "USA",
    earlier: str = "001",
) -> bytes:
    """A 2023 foreign permanent resident ID base text (card type "Y"). English names over
    35 characters continue in the second name field, as on the card."""
    if number is None:
        first17 = f"911840{birth}001"  # Beijing (11), USA (840)
        number = first17 + check_digit(first17)
    fields = [
        (0, chinese), (15, sex), (16, renewals), (18, birth), (26, english[:35]),
        (61, number), (94, start), (102, end), (110, english[35:46]), (121, nationality),
        (124, "Y"), (125, earlier),
    ]  # fmt: skip
    return encode_base_text(fields)


class Gat467Emulator:
    def __init__(self) -> None:
        self._master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.port = os.ttyname(slave)
        self._slave = slave  # kept open so the pty survives the driver closing its end
        self.card: tuple[bytes, bytes] | None = None
        self.truncate_next = False
        self.corrupt_next = 0  # how many answers get a bad checksum
        self.mute = False
        self.status_override: dict[tuple[int, int], int] = {}
        self.commands: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="gat467-emulator", daemon=True)
        self._thread.start()

    def place(self, text: bytes, wlt: bytes = b"") -> None:
        self.card = (text, wlt)

    def take_away(self) -> None:
        self.card = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._master)
        os.close(self._slave)

    def __enter__(self) -> Gat467Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                buf.extend(os.read(self._master, 4096))
            except OSError:
                continue
            while True:
                start = buf.find(PREAMBLE)
                if start < 0 or len(buf) < start + 7:
                    break
                del buf[:start]
                need = 7 + int.from_bytes(buf[5:7], "big")
                if len(buf) < need:
                    break
                frame, buf = bytes(buf[:need]), buf[need:]
                if xor(frame[5:-1]) != frame[-1]:
                    self._send(bytes([0, 0, 0x10]))
                    continue
                self._answer(frame[7], frame[8])

    def _answer(self, cmd: int, para: int) -> None:
        self.commands.append((cmd, para))
        if self.mute:
            return
        if (cmd, para) in self.status_override:
            self._send(bytes([0, 0, self.status_override[(cmd, para)]]))
            return
        if (cmd, para) == (0x20, 0x01):
            if self.card is None:
                self._send(bytes([0, 0, SW_NO_CARD]))
            else:
                self._send(bytes([0, 0, SW_FOUND]) + bytes(4))
        elif (cmd, para) == (0x20, 0x02):
            self._send(bytes([0, 0, SW_OK if self.card else 0x81]) + bytes(8))
        elif (cmd, para) == (0x30, 0x01) and self.card is not None:
            text, wlt = self.card
            data = len(text).to_bytes(2, "big") + len(wlt).to_bytes(2, "big") + text + wlt
            self._send(bytes([0, 0, SW_OK]) + data)
        elif (cmd, para) == (0x30, 0x01):
            self._send(bytes([0, 0, 0x41]))
        else:
            self._send(bytes([0, 0, 0x24]))

    def _send(self, body: bytes) -> None:
        frame = bytearray(encode_frame(body))
        if self.corrupt_next:
            self.corrupt_next -= 1
            frame[-1] ^= 0xFF
        if self.truncate_next:
            self.truncate_next = False
            frame = frame[: len(frame) // 2]
        os.write(self._master, bytes(frame))
