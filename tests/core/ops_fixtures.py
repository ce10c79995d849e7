"""Fixtures of the operations tests: a tiny tmpfs (a full disk, for real), a seat station."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tiny_tmpfs(where: Path, size: str = "256k") -> Iterator[Path]:
    """A real small filesystem mounted at `where` (the tests run as root); a test that
    cannot mount one fails with the reason rather than passing without a full disk."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        raise AssertionError(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
