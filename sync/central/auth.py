"""Who is asking: station requests are authenticated from their headers, before any body.

`StationAuth.check` takes a request's signed headers (see `sync.reqsign`), finds the
station's registered key in a small in-memory directory (so a flood of made-up station ids
never reaches the database more than once per id and interval), and verifies the signature.
Only then does an endpoint read the body, through `read_body`/`stream_body`, which enforce
the endpoint's size limit and a minimum rate while the bytes arrive, and compare them with
the signed hash at the end.

Refusals of unauthenticated requests are counted in memory (`Refusals`), never written to
the database one row each: a stranger can make the centre answer 401 or 429, but cannot
make it grow. Authenticated refusals (a registered station's bad batch) are still recorded
durably by the apply path, since they come from a real station.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sync.central.errors import CentralError
from sync.crypto import KeyPair, PublicKeys
from sync.reqsign import (
    EMPTY_SHA256,
    H_ANSWER_SIGNATURE,
    H_BODY_SHA256,
    H_SIGNATURE,
    H_STATION,
    H_TIME,
    request_message,
    sign_answer,
)

log = logging.getLogger("sync.central.auth")

STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX128 = re.compile(r"^[0-9a-f]{128}$")
MAX_CLOCK_SKEW_S = 300


class Unauthenticated(CentralError):
    reason = "unauthenticated"
    status = 401

    def __init__(self, detail: str, reason: str = "unauthenticated") -> None:
        super().__init__(
            "请求未能通过考站身份验证，已拒绝。请确认考站已在中心登记且密钥一致。",
            "The request did not authenticate as a registered station and was refused. "
            "Check that the station is registered at the centre with this station's key.",
            detail=detail,
        )
        self.reason = reason


class ClockSkew(CentralError):
    reason = "clock_skew"
    status = 401

    def __init__(self, station_time: int, centre_time: int) -> None:
        super().__init__(
            "本机时钟与考试中心相差过大，请求被拒绝。请校准本机时间后重试。",
            "This station's clock differs too much from the exam centre's; the request was "
            "refused. Correct the station's time and retry.",
            detail=f"station {station_time}, centre {centre_time}",
        )


class TooLarge(CentralError):
    reason = "too_large"
    status = 413

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(
            "请求数据超过中心允许的大小，未保存任何内容。",
            f"The request is larger than the centre accepts for {what}; nothing was kept.",
            detail=f"limit {limit} bytes",
        )


class TooSlow(CentralError):
    reason = "too_slow"
    status = 408

    def __init__(self, detail: str) -> None:
        super().__init__(
            "数据发送过慢，连接被中心关闭，未保存任何内容。稍后会自动重试。",
            "The data arrived too slowly and the centre closed the request; nothing was kept. "
            "It will be retried.",
            detail=detail,
        )


class RateLimited(CentralError):
    reason = "rate_limited"
    status = 429
    retry_after = 30

    def __init__(self) -> None:
        super().__init__(
            "来自该地址的无效请求过多，请稍后再试。",
            "Too many refused requests from this address; try again later.",
        )


class CentralKeyLocked(CentralError):
    reason = "centre_key_locked"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "本服务实例未解锁中心密钥，无法签发应答。请以中心口令重新启动服务。",
            "This instance was started without the central key and cannot sign its answers. "
            "Restart it with the central passphrase.",
        )


class WrongVenue(CentralError):
    reason = "wrong_venue"
    status = 403

    def __init__(self, venue_id: str) -> None:
        super().__init__(
            "本考站不属于该考点，不能获取其考试包。",
            "This station does not belong to that venue and cannot fetch its package.",
            detail=f"station venue {venue_id[:80]!r}",
        )


@dataclass(frozen=True)
class KnownStation:
    station_id: str
    venue_id: str
    keys: PublicKeys


@dataclass(frozen=True)
class Authenticated:
    """A request whose headers verified: who sent it, what it signed, and the body hash the
    body must still match."""

    station: KnownStation
    signature: str
    body_sha256: str


class StationDirectory:
    """Registered stations' keys, cached: found ones for `ttl` seconds (a re-registered key
    takes effect within it), unknown ids for `negative_ttl`. At most `max_entries` ids."""

    def __init__(
        self,
        lookup: Callable[[str], KnownStation | None],
        *,
        ttl: float = 30.0,
        negative_ttl: float = 5.0,
        max_entries: int = 20_000,
    ) -> None:
        self._lookup = lookup
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._cache: dict[str, tuple[float, KnownStation | None]] = {}
        self._lock = threading.Lock()

    async def get(self, station_id: str) -> KnownStation | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(station_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await run_in_threadpool(self._lookup, station_id)
        expires = now + (self.ttl if found is not None else self.negative_ttl)
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= self.max_entries:
                    self._cache.clear()
            self._cache[station_id] = (expires, found)
        return found

    def forget(self, station_id: str) -> None:
        with self._lock:
            self._cache.pop(station_id, None)


class Refusals:
    """Unauthenticated refusals, counted in memory. Once an address has more than
    `per_minute` refusals in its current minute, its further refusals answer 429 with
    Retry-After (well-behaved clients back off); a summary is logged at most every
    `log_every` seconds, never a line each."""

    def __init__(
        self,
        *,
        per_minute: int = 120,
        max_addresses: int = 50_000,
        log_every: float = 10.0,
        tarpit_s: float = 10.0,
        max_tarpitted: int = 2000,
    ) -> None:
        self.per_minute = per_minute
        self.tarpit_s = tarpit_s
        self.max_tarpitted = max_tarpitted
        self._tarpitted = 0
        self.max_addresses = max_addresses
        self.log_every = log_every
        self.total = 0
        self.limited = 0
        self.by_reason: Counter[str] = Counter()
        self._windows: dict[str, tuple[int, int]] = {}
        self._since_log: Counter[str] = Counter()
        self._last_log = time.monotonic()
        self._lock = threading.Lock()

    def note(self, address: str, reason: str) -> bool:
        """Count one refusal; True when `address` is now over its budget (answer 429)."""
        minute = int(time.monotonic() // 60)
        with self._lock:
            self.total += 1
            self.by_reason[reason] += 1
            self._since_log[reason] += 1
            window = self._windows.get(address)
            count = window[1] + 1 if window is not None and window[0] == minute else 1
            if len(self._windows) >= self.max_addresses and window is None:
                self._windows = {a: w for a, w in self._windows.items() if w[0] == minute}
                if len(self._windows) >= self.max_addresses:
                    self._windows.clear()
            self._windows[address] = (minute, count)
            over = count > self.per_minute
            self.limited += over
            now = time.monotonic()
            if now - self._last_log >= self.log_every:
                log.warning("refused %s unauthenticated request(s) in the last %.0f s: %s",
                            sum(self._since_log.values()), now - self._last_log,
                            dict(self._since_log))  # fmt: skip
                self._since_log.clear()
                self._last_log = now
            return over

    async def tarpit(self) -> None:
        """Hold an over-budget refusal for `tarpit_s` before answering. A client that
        reconnects as soon as it is refused would otherwise keep the centre busy accepting
        and refusing; held, it waits (its unread body stops at the socket buffers, TCP flow
        control) and costs nothing. At most `max_tarpitted` are held at once, so the
        centre's connections are never all spent on it."""
        if self._tarpitted >= self.max_tarpitted or self.tarpit_s <= 0:
            return
        self._tarpitted += 1
        try:
            await asyncio.sleep(self.tarpit_s)
        finally:
            self._tarpitted -= 1

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "rate_limited": self.limited,
                "by_reason": dict(self.by_reason),
                "addresses": len(self._windows),
            }


def signed_target(request: Request) -> str:
    """Path and query exactly as the client sent them (what the station signed)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    target = raw.decode("latin-1")
    return target + ("?" + query.decode("latin-1") if query else "")


class StationAuth:
    def __init__(
        self,
        directory: StationDirectory,
        refusals: Refusals,
        *,
        max_skew: int = MAX_CLOCK_SKEW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.refusals = refusals
        self.max_skew = max_skew
        self._clock = clock

    async def check(
        self, request: Request, *, cap: int, station_id: str | None = None, what: str = "request"
    ) -> Authenticated:
        """Authenticate `request` from its headers alone. Raises Unauthenticated, ClockSkew,
        TooLarge (declared length over `cap`) or RateLimited; counts each refusal."""
        # No pre-emptive refusal by address: a real station behind the same address (a venue's
        # NAT) as a flooding client must still get through. Authentication from headers is
        # cheap (a cache lookup and one signature check); only failures count.
        address = request.client.host if request.client else "?"
        try:
            return await self._check(request, cap, station_id, what)
        except (Unauthenticated, ClockSkew) as exc:
            if self.refusals.note(address, exc.reason):
                await self.refusals.tarpit()
                raise RateLimited() from None
            raise

    async def _check(
        self, request: Request, cap: int, station_id: str | None, what: str
    ) -> Authenticated:
        headers = request.headers
        claimed = headers.get(H_STATION, "")
        stamp = headers.get(H_TIME, "")
        body_sha256 = headers.get(H_BODY_SHA256, "")
        signature = headers.get(H_SIGNATURE, "")
        if not (claimed and stamp and body_sha256 and signature):
            raise Unauthenticated("missing signature headers", "unsigned")
        if not STATION_ID.match(claimed) or (station_id is not None and claimed != station_id):
            raise Unauthenticated("station header does not match the path", "wrong_station")
        if not stamp.isdigit() or len(stamp) > 12:
            raise Unauthenticated("bad time header", "malformed_auth")
        if not _HEX64.match(body_sha256) or not _HEX128.match(signature):
            raise Unauthenticated("bad hash or signature header", "malformed_auth")
        now = int(self._clock())
        if abs(now - int(stamp)) > self.max_skew:
            raise ClockSkew(int(stamp), now)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            # Checked before the key: an oversized body is refused before anything else.
            raise TooLarge(what, cap)
        if request.method in ("GET", "HEAD") and body_sha256 != EMPTY_SHA256:
            raise Unauthenticated("a GET carries no body", "malformed_auth")
        station = await self.directory.get(claimed)
        if station is None:
            raise Unauthenticated(f"station {claimed!r} is not registered", "unknown_station")
        message = request_message(
            request.method, signed_target(request), claimed, int(stamp), body_sha256
        )
        if not station.keys.verify(bytes.fromhex(signature), message):
            raise Unauthenticated(f"bad request signature for {claimed!r}", "bad_signature")
        return Authenticated(station, signature, body_sha256)


async def _chunks(
    request: Request, cap: int, what: str, idle_timeout: float, min_rate: float
) -> AsyncIterator[bytes]:
    """The body's chunks, refusing more than `cap` bytes, a pause of `idle_timeout` seconds,
    or an average rate below `min_rate` bytes/s after a grace period of `idle_timeout`."""
    started = time.monotonic()
    size = 0
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), idle_timeout)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise TooSlow(f"no data for {idle_timeout:.0f} s after {size} bytes") from None
        size += len(chunk)
        if size > cap:
            raise TooLarge(what, cap)
        elapsed = time.monotonic() - started
        if elapsed > idle_timeout and size < min_rate * (elapsed - idle_timeout):
            raise TooSlow(f"{size} bytes in {elapsed:.0f} s")
        if chunk:
            yield chunk


async def stream_body(
    request: Request,
    auth: Authenticated,
    cap: int,
    sink: Callable[[bytes], object],
    *,
    what: str = "request",
    idle_timeout: float | None = None,
    min_rate: float = 16 * 1024,
) -> int:
    """Feed the authenticated body to `sink` chunk by chunk; returns its size. Raises
    TooLarge, TooSlow, or Unauthenticated when the bytes are not the ones signed (the caller
    must then discard what `sink` received)."""
    if idle_timeout is None:
        idle_timeout = float(getattr(request.state, "idle_timeout", 15.0))
    digest = hashlib.sha256()
    size = 0
    async for chunk in _chunks(request, cap, what, idle_timeout, min_rate):
        digest.update(chunk)
        size += len(chunk)
        outcome = sink(chunk)
        if inspect.isawaitable(outcome):
            await outcome
    if digest.hexdigest() != auth.body_sha256:
        raise Unauthenticated("body does not match its signed hash", "body_mismatch")
    return size


async def read_body(
    request: Request, auth: Authenticated, cap: int, *, what: str = "request"
) -> bytes:
    """The whole authenticated body (at most `cap` bytes), checked against its signed hash."""
    parts: list[bytes] = []
    await stream_body(request, auth, cap, parts.append, what=what)
    return b"".join(parts)


class StationGate:
    """The station API's door: authenticate (StationAuth), then answer signed by the centre
    key. Without the key the centre cannot sign, so station requests answer 503."""

    def __init__(
        self,
        lookup: Callable[[str], KnownStation | None],
        keys: KeyPair | None,
        *,
        max_skew: int = MAX_CLOCK_SKEW_S,
        refusals: Refusals | None = None,
        idle_timeout: float = 15.0,
    ) -> None:
        self.keys = keys
        self.idle_timeout = idle_timeout
        self.refusals = refusals or Refusals()
        self.directory = StationDirectory(lookup)
        self.auth = StationAuth(self.directory, self.refusals, max_skew=max_skew)

    async def enter(
        self, request: Request, *, cap: int, station_id: str | None = None, what: str = "request"
    ) -> Authenticated:
        authed = await self.auth.check(request, cap=cap, station_id=station_id, what=what)
        if self.keys is None:
            raise CentralKeyLocked()
        request.state.idle_timeout = self.idle_timeout
        return authed

    def answer(
        self,
        authed: Authenticated,
        content: bytes,
        *,
        media_type: str = "application/json",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if self.keys is None:
            raise CentralKeyLocked()
        signature = sign_answer(
            self.keys, authed.station.station_id, authed.signature, status, content
        )
        all_headers = {H_ANSWER_SIGNATURE: signature, **(headers or {})}
        return Response(content, status_code=status, media_type=media_type, headers=all_headers)

    def answer_json(
        self, authed: Authenticated, data: Any, *, headers: dict[str, str] | None = None
    ) -> Response:
        content = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.answer(authed, content, headers=headers)
