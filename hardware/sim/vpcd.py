"""Put an emulated card into a vsmartcard `vpcd` virtual reader (pcscd's driver).

vpcd listens on TCP (one port per slot: the configured port, then +1, ...). Connecting is
"inserting" the card; closing the socket is "removing" it. Both directions send a 2-byte
big-endian length then the payload. A 1-byte payload from vpcd is a control message
(0 power off, 1 power on, 2 reset, 4 "send your ATR"); anything longer is a command APDU
that gets exactly one response APDU. pcscd polls presence (an ATR request) every ~400 ms.

Debian's vpcd 0.8 writes length and payload in two sends, so with delayed ACKs every APDU
would wait ~45 ms; we set TCP_QUICKACK before each recv (Linux resets it after use).

vpcd listens on all interfaces: it is a test and demo tool, never shipped by the installer.
"""

from __future__ import annotations

import socket
import threading
from typing import Protocol

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class VirtualCard(Protocol):
    atr: bytes

    def power(self, on: bool) -> None:
        """Power off/on or reset (power(True) after power(False)): drop session state."""
        ...

    def apdu(self, command: bytes) -> bytes | None:
        """Answer one command APDU (data + SW1 SW2). None = stay silent (a mute card)."""
        ...


class VpcdSlot:
    """One card in one vpcd slot, served on a background thread.

    `insert()` connects (pcscd sees the card within ~0.5 s); `remove()` closes the socket,
    exactly like pulling the card. `remove_after(n)` pulls it right after the n-th APDU
    answered from now, for "card removed between APDUs" scenarios.
    """

    def __init__(self, card: VirtualCard, port: int, host: str = "127.0.0.1") -> None:
        self.card = card
        self.port = port
        self.host = host
        self.apdu_count = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._remove_after: int | None = None
        self.powered = threading.Event()

    def insert(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            raise RuntimeError("card already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self._stop.clear()
        self.powered.clear()
        self._thread = threading.Thread(
            target=self._serve, name=f"vpcd-card-{self.port}", daemon=True
        )
        self._thread.start()

    def remove(self) -> None:
        self._stop.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        self.card.power(False)

    def remove_after(self, apdus: int) -> None:
        self._remove_after = self.apdu_count + apdus

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> VpcdSlot:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # -- the vpcd protocol -------------------------------------------------------------

    def _recv_exact(self, sock: socket.socket, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            if hasattr(socket, "TCP_QUICKACK"):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf.extend(chunk)
        return bytes(buf)

    def _serve(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            while not self._stop.is_set():
                head = self._recv_exact(sock, 2)
                if head is None:
                    break
                payload = self._recv_exact(sock, int.from_bytes(head, "big"))
                if payload is None:
                    break
                if len(payload) == 1:
                    self._control(sock, payload[0])
                    continue
                answer = self.card.apdu(payload)
                if answer is None:  # mute card: never answer, until removed
                    self._stop.wait()
                    break
                sock.sendall(len(answer).to_bytes(2, "big") + answer)
                self.apdu_count += 1
                if self._remove_after is not None and self.apdu_count >= self._remove_after:
                    self._remove_after = None
                    self._stop.set()
                    sock.shutdown(socket.SHUT_RDWR)
                    break
        except OSError:
            pass

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == GET_ATR:
            sock.sendall(len(self.card.atr).to_bytes(2, "big") + self.card.atr)
        elif code == POWER_OFF:
            self.card.power(False)
            self.powered.clear()
        elif code in (POWER_ON, RESET):
            self.card.power(False)
            self.card.power(True)
            self.powered.set()


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port P such that P and P+1 were both free a moment ago (vpcd's two slots)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind((host, 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind((host, port + 1))
                except OSError:
                    continue
            return int(port)
    raise RuntimeError("no free pair of TCP ports")
