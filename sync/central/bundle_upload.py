"""A USB bundle uploaded over HTTP: streamed to a temporary file only once its sender has
authenticated, within the size limit and the disk's free space, then imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sync.central.auth import Authenticated, TooLarge, stream_body
from sync.central.errors import CentralError
from sync.central.home import CentralHome
from sync.central.result import ImportResult
from sync.crypto import KeyPair

# Left free on the centre's disk whatever arrives: the database must still be able to grow.
DISK_RESERVE_BYTES = 256 * 1024 * 1024


class InsufficientStorage(CentralError):
    reason = "insufficient_storage"
    status = 507

    def __init__(self, detail: str) -> None:
        super().__init__(
            "考试中心磁盘空间不足，暂不能接收该数据包。请稍后重试或改用 import-bundle 导入。",
            "The exam centre is short of disk space and cannot take this bundle now. Retry "
            "later, or have the centre import it with import-bundle.",
            detail=detail,
        )


class LengthRequired(CentralError):
    reason = "length_required"
    status = 411

    def __init__(self) -> None:
        super().__init__(
            "上传数据包时必须声明大小（Content-Length）。",
            "A bundle upload must declare its size (Content-Length).",
        )


async def receive_bundle(
    request: Request, authed: Authenticated, home: CentralHome, keys: KeyPair | None, cap: int
) -> ImportResult:
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise LengthRequired()
    size = int(declared)
    if size > cap:
        raise TooLarge("a bundle", cap)
    incoming = home.home / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(incoming).free
    if size + DISK_RESERVE_BYTES > free:
        raise InsufficientStorage(f"{size} bytes declared, {free} free")
    if keys is None:  # StationGate.enter refuses earlier; this keeps the types honest
        raise CentralError("中心密钥未解锁。", "The central key is not unlocked.")
    fd, name = tempfile.mkstemp(dir=incoming, suffix=".ekb")
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                await stream_body(request, authed, min(cap, size), out.write, what="a bundle")
        except OSError as exc:  # the disk filled up or went away while it arrived
            raise InsufficientStorage(f"{type(exc).__name__}: {exc}") from exc
        return await run_in_threadpool(home.import_bundle, Path(name), keys)
    finally:
        Path(name).unlink(missing_ok=True)
