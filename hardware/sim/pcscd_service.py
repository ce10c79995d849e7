"""Run a private pcscd with its own reader configuration: one vpcd reader (two slots).

For the tests and the demo: `pcscd -f -c DIR` where DIR holds a single reader.conf entry
`DEVICENAME /dev/null:PORT` for vpcd, so nothing depends on the system's configuration.
Only one pcscd can run on a machine (its socket and pid file are fixed at
/run/pcscd/pcscd.comm and pcscd.pid): `running_pcscd()` tells whether one already is, and
`PrivatePcscd.start()` refuses with `PcscdBusy` rather than disturb it.

`shared()` / `release()` reference-count one instance per process so several test modules
(tests/hardware/cards and tests/app) share one daemon.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from hardware.sim.vpcd import free_port_pair

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SOCKET = Path("/run/pcscd/pcscd.comm")
PIDFILE = Path("/run/pcscd/pcscd.pid")
FRIENDLY = "ExamKiosk VPCD"


class PcscdBusy(RuntimeError):
    """Another pcscd is running; ours cannot start beside it."""


class PcscdMissing(RuntimeError):
    """pcscd or the vpcd driver is not installed."""


def running_pcscd() -> str | None:
    """A description of a pcscd already serving the socket, or None."""
    if PIDFILE.exists():
        try:
            pid = int(PIDFILE.read_text().strip() or "0")
            if pid > 0:
                os.kill(pid, 0)
                return f"pcscd pid {pid}"
        except (ValueError, ProcessLookupError, PermissionError):
            pass
    if SOCKET.exists():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(str(SOCKET))
                return f"a pcscd (or systemd socket) on {SOCKET}"
            except OSError:
                pass
    return None


class PrivatePcscd:
    def __init__(self) -> None:
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="examkiosk-pcscd-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.with_reader = True

    @property
    def readers(self) -> tuple[str, str]:
        return f"{FRIENDLY} 00 00", f"{FRIENDLY} 00 01"

    @property
    def log(self) -> str:
        path = self.dir / "pcscd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, *, with_reader: bool = True, timeout: float = 10.0) -> None:
        if shutil.which("pcscd") is None or not VPCD_DRIVER.exists():
            raise PcscdMissing("install the Debian packages pcscd and vsmartcard-vpcd")
        busy = running_pcscd()
        if busy:
            raise PcscdBusy(f"{busy} is already running; only one pcscd can run on a machine")
        if not self.port:
            self.port = free_port_pair()
        conf = self.dir / "reader.conf.d"
        shutil.rmtree(conf, ignore_errors=True)
        conf.mkdir()
        if with_reader:
            (conf / "vpcd").write_text(
                f'FRIENDLYNAME "{FRIENDLY}"\n'
                f"DEVICENAME   /dev/null:{self.port}\n"
                f"LIBPATH      {VPCD_DRIVER}\n"
                f"CHANNELID    {self.port}\n"
            )
        SOCKET.parent.mkdir(parents=True, exist_ok=True)
        log = (self.dir / "pcscd.log").open("ab")
        self.proc = subprocess.Popen(
            ["pcscd", "-f", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.with_reader = with_reader
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self.proc.returncode}:\n{self.log}")
            if SOCKET.exists() and (not self.with_reader or self._port_open()):
                time.sleep(0.2)  # the socket exists a moment before pcscd accepts on it
                return
            time.sleep(0.05)
        raise RuntimeError(f"pcscd did not come up within {timeout} s:\n{self.log}")

    def _port_open(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.2)
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError:
                return True  # taken: vpcd is listening
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while SOCKET.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, *, with_reader: bool = True) -> None:
        self.stop()
        self.start(with_reader=with_reader)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_lock = threading.Lock()
_shared: PrivatePcscd | None = None
_users = 0


def shared() -> PrivatePcscd:
    """The process's private pcscd, started on first use (PcscdBusy / PcscdMissing if not)."""
    global _shared, _users
    with _lock:
        if _shared is None:
            service = PrivatePcscd()
            try:
                service.start()
            except BaseException:
                service.close()
                raise
            _shared = service
        _users += 1
        return _shared


def release() -> None:
    global _shared, _users
    with _lock:
        _users -= 1
        if _users <= 0 and _shared is not None:
            _shared.close()
            _shared = None
            _users = 0
