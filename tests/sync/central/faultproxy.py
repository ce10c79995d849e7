"""A misbehaving network between a station and the centre, on 127.0.0.1.

Per HTTP request, while `chaos` is on, it may: drop the connection before forwarding, forward
and then drop the answer (the centre applied it, the station never hears), delay, send the
request to the centre twice, answer 500/503 with Retry-After itself, or cut the answer short.
Each request goes upstream on a fresh connection; every answer closes the connection.
"""

from __future__ import annotations

import random
import socket
import socketserver
import threading
import time
from collections import Counter

FAULTS = ("drop_before", "drop_after", "delay", "duplicate", "error_503", "error_500", "truncate")


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return _with_header(head, b"Connection", b"close") + b"\r\n\r\n" + body


def _with_header(head: bytes, name: bytes, value: bytes) -> bytes:
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(name.lower() + b":")]
    return b"\r\n".join([*lines, name + b": " + value])


class FaultProxy:
    def __init__(self, upstream_port: int, *, seed: int = 0, rate: float = 0.5) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.rng = random.Random(seed)
        self.rate = rate
        self.chaos = True
        self.counts: Counter[str] = Counter()
        self.script: list[str] = []  # faults to apply first, in order, whatever the dice say
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _pick(self) -> str:
        with self._lock:
            if self.script:
                fault = self.script.pop(0)
            elif not self.chaos or self.rng.random() >= self.rate:
                fault = "pass"
            else:
                fault = self.rng.choice(FAULTS)
            self.counts[fault] += 1
            self.counts["requests"] += 1
            return fault

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            chunks = []
            while chunk := up.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(30)
        try:
            request = _read_request(client)
            if request is None:
                return
            fault = self._pick()
            if fault == "drop_before":
                return
            if fault in ("error_503", "error_500"):
                code = fault[-3:]
                wait = b"1" if self.rng.random() < 0.2 else b"0"
                body = b'{"reason":"proxy","message":"injected","message_zh":"injected"}'
                client.sendall(
                    b"HTTP/1.1 " + code.encode() + b" Injected\r\nRetry-After: " + wait
                    + b"\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
                )  # fmt: skip
                return
            if fault == "delay":
                time.sleep(self.rng.uniform(0.05, 0.3))
            if fault == "duplicate":
                twin = threading.Thread(target=self._forward, args=(request,))
                twin.start()
                answer = self._forward(request)
                twin.join()
            else:
                answer = self._forward(request)
            if fault == "drop_after":
                return
            if fault == "truncate":
                answer = answer[: max(1, len(answer) - 20)]
            client.sendall(answer)
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()
