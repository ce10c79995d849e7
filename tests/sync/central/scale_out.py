"""Several central processes over one database: start them, and push to them at random.

Used by test_scale_out.py and benchmarks/central_scale.py. Each process is a real
`examkiosk-central serve` (uvicorn) on 127.0.0.1 with its own port.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import requests

from sync.central.server import free_port

REPO = Path(__file__).resolve().parents[3]


class CentralProcesses:
    """`count` central processes over `home` and `db_url`; stopped by pid on exit."""

    def __init__(self, home: Path, db_url: str, count: int, log_dir: Path, passphrase: str) -> None:
        self.home, self.db_url, self.count, self.log_dir = home, db_url, count, log_dir
        # Each process unlocks the centre's key: it signs every answer to a station.
        self.passphrase = passphrase
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def __enter__(self) -> CentralProcesses:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "EXAMKIOSK_CENTRAL_PASSPHRASE": self.passphrase,
        }
        for i in range(self.count):
            port = free_port()
            log = open(self.log_dir / f"central-{i}.log", "wb")
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sync.central.cli",
                        "--home",
                        str(self.home),
                        "--db",
                        self.db_url,
                        "serve",
                        "--port",
                        str(port),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=REPO,
                )  # fmt: skip
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url, proc in zip(self.urls, self.procs, strict=True):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"central process for {url} exited: see {self.log_dir}")
                try:
                    if requests.get(url + "/v1/health", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"central process for {url} did not start")
                time.sleep(0.1)
        return self

    def any(self, rng: random.Random) -> str:
        return rng.choice(self.urls)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
