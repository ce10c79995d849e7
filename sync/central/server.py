"""Running the central service on 127.0.0.1 inside this process, in a thread.

For the venue rehearsal, the demo and the tests: `with BackgroundServer(home, keys) as s:
... s.url ...`. Production uses `examkiosk-central serve`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from sync.central.app import create_app
from sync.central.console.stream import closing_flag
from sync.central.home import CentralHome
from sync.crypto import KeyPair
from sync.errors import SyncError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# Per-connection kernel receive buffer. A client streaming junk fills at most this much of
# the centre's kernel memory per connection while it is held (sync.central.auth tarpit);
# the default autotuning lets each one take several MiB. Real stations' requests still flow
# at full speed on a LAN.
RECEIVE_BUFFER_BYTES = 256 * 1024


class Server(uvicorn.Server):
    """uvicorn's server that tells the app when it is asked to stop (signal or `stop()`)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        closing_flag(self.config.app).set()
        super().handle_exit(sig, frame)

    def stop_soon(self) -> None:
        closing_flag(self.config.app).set()
        self.should_exit = True


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn, with a bounded receive buffer (inherited by every
    accepted connection)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class BackgroundServer:
    """uvicorn serving `create_app(home, keys)` on host:port in a daemon thread."""

    def __init__(
        self,
        home: CentralHome,
        keys: KeyPair | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        app_options: dict[str, Any] | None = None,
    ) -> None:
        """`app_options` go to create_app (docs, max_clock_skew, body_idle_timeout)."""
        self.host = host
        self.port = port or free_port(host)
        scheme = "https" if ssl_certfile else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        config = uvicorn.Config(
            create_app(home, keys, **(app_options or {})),
            host=host,
            port=self.port,
            log_level="warning",
            access_log=False,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=64 * 1024,
            # The console's live streams stay open for minutes: stopping ends them.
            timeout_graceful_shutdown=2,
        )
        self._server = Server(config)
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, name="central-http", daemon=True)

    def _serve(self) -> None:
        try:
            self._socket = listening_socket(self.host, self.port)
        except OSError:
            return  # start() reports that the service could not start
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SyncError(
                    f"中心服务无法在 {self.host}:{self.port} 启动。",
                    f"The central service could not start on {self.host}:{self.port}.",
                )
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.stop_soon()
        self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
