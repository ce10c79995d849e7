"""PC/SC card reader through pyscard, with every PC/SC call on one owner thread.

pyscard contexts and card handles must not be shared across threads, so `PcscCardReader`
runs a worker thread that owns the context; public methods hand it a job and wait. Each
APDU exchange is timed: a card that stops answering (the call is stuck inside pcscd) gets
`CardNotResponding` after `exchange_timeout`; the stuck worker is abandoned (it releases
its context when pcscd lets go) and the next call starts a fresh one.

`read()` returns a card only once per presentation: a card left on the reader after a
successful (or failed) read is not read again until it is taken away and presented again,
except that a read given `bac=` keys retries a passport chip that was waiting for a key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography import x509
from smartcard import scard

from hardware.cards.apdu import Response
from hardware.cards.csca import TrustStore
from hardware.cards.document import IdentityDocument
from hardware.cards.errors import (
    AccessDenied,
    BacKeyNeeded,
    CardError,
    CardNotResponding,
    CardRemoved,
    PcscUnavailable,
    ReaderNotFound,
    ReaderRemoved,
)
from hardware.cards.files import ReaderCaps
from hardware.cards.mrz import AccessKey, BacKey, CanKey
from hardware.cards.profiles import ReadOptions, read_card

T = TypeVar("T")
PNP = "\\\\?PnP?\\Notification"
SLICE_MS = 250  # GetStatusChange slice: how quickly close() and deadlines are noticed
_NO_SERVICE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
}
_NO_READER = {scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_UNKNOWN_READER}
_NO_CARD = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}


@dataclass(frozen=True)
class ReaderState:
    name: str
    state: str  # "empty" | "card" | "in_use" | "mute" | "unavailable"
    atr: str = ""


def _state_name(event: int) -> str:
    if event & (scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_UNKNOWN):
        return "unavailable"
    if event & scard.SCARD_STATE_MUTE:
        return "mute"
    if event & scard.SCARD_STATE_INUSE:
        return "in_use"
    if event & scard.SCARD_STATE_PRESENT:
        return "card"
    return "empty"


def _error_for(hresult: int, what: str) -> CardError:
    detail = f"{what}: {scard.SCardGetErrorMessage(hresult)} ({hresult & 0xFFFFFFFF:#x})"
    if hresult in _NO_SERVICE:
        return PcscUnavailable(detail)
    if hresult in _NO_READER:
        return ReaderRemoved(detail)
    if hresult in _NO_CARD:
        return CardRemoved(detail)
    return CardNotResponding(detail)


def list_readers() -> list[ReaderState]:
    """Readers and their state right now (opens and releases its own context)."""
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(scard.SCardGetErrorMessage(hresult))
    try:
        return _states(ctx)
    finally:
        scard.SCardReleaseContext(ctx)


def _states(ctx: Any) -> list[ReaderState]:
    hresult, names = scard.SCardListReaders(ctx, [])
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise _error_for(hresult, "list readers")
    hresult, states = scard.SCardGetStatusChange(
        ctx, 0, [(n, scard.SCARD_STATE_UNAWARE) for n in names]
    )
    if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
        raise _error_for(hresult, "reader status")
    return [ReaderState(n, _state_name(ev), bytes(atr).hex().upper()) for n, ev, atr in states]


class _StaleCard(Exception):
    """The card handle failed before its first answer (card swapped under pcscd)."""


class _PcscTransport:
    """APDUs on a connected card handle; marks the exchange so the caller can time it."""

    def __init__(self, owner: _Worker, card: Any, protocol: int) -> None:
        self._owner = owner
        self._card = card
        self._protocol = protocol
        self.exchanges = 0  # successful exchanges: 0 means the card never answered

    def transmit(self, apdu: bytes) -> Response:
        response = self._raw(apdu)
        # T=0 cards: 61xx = more data waiting (GET RESPONSE); 6Cxx = resend with Le = xx
        if response.sw1 == 0x6C and len(apdu) > 4:
            response = self._raw(apdu[:-1] + bytes([response.sw2]))
        data = bytearray(response.data)
        while response.sw1 == 0x61:
            response = self._raw(bytes([0x00, 0xC0, 0x00, 0x00, response.sw2]))
            data.extend(response.data)
        return Response(bytes(data), response.sw1, response.sw2)

    def _raw(self, apdu: bytes) -> Response:
        self._owner.exchange_started = time.monotonic()
        try:
            hresult, answer = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        finally:
            self._owner.exchange_started = None
        if self._owner.abandoned.is_set():
            raise CardNotResponding("exchange finished after the caller gave up")
        if hresult != scard.SCARD_S_SUCCESS:
            raise _error_for(hresult, f"transmit {apdu[:4].hex()}")
        self.exchanges += 1
        return Response.from_bytes(bytes(answer))


class _Worker:
    """The thread that owns one PC/SC context. Jobs are functions of the context."""

    def __init__(self) -> None:
        self.exchange_started: float | None = None
        self.abandoned = threading.Event()
        self._jobs: list[tuple[Callable[[_Worker], Any], Future[Any]]] = []
        self._cv = threading.Condition()
        self.ctx: Any = None
        self._thread = threading.Thread(target=self._run, name="pcsc-owner", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[_Worker], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._cv:
            self._jobs.append((job, future))
            self._cv.notify()
        return future

    def _run(self) -> None:
        while not self.abandoned.is_set():
            with self._cv:
                while not self._jobs and not self.abandoned.is_set():
                    self._cv.wait(0.5)
                if self.abandoned.is_set():
                    break
                job, future = self._jobs.pop(0)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(self))
            except BaseException as exc:  # delivered to the caller, who re-raises it
                future.set_exception(exc)
        self.release()

    def context(self) -> Any:
        if self.ctx is None:
            hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                raise PcscUnavailable(scard.SCardGetErrorMessage(hresult))
            self.ctx = ctx
        return self.ctx

    def release(self) -> None:
        if self.ctx is not None:
            scard.SCardReleaseContext(self.ctx)
            self.ctx = None

    def stop(self) -> None:
        self.abandoned.set()
        with self._cv:
            self._cv.notify()
        if self.ctx is not None:
            scard.SCardCancel(self.ctx)  # the one call PC/SC allows from another thread


class PcscCardReader:
    """A `CardReader` over every PC/SC reader whose name contains `reader` ("" = any).

    BAC keys for passports come from `read(..., bac=...)` and/or the `bac_keys` callback
    (called on each read, e.g. the roster entries the invigilator picked); all are tried.
    `csca` (a TrustStore, or CSCA certificates) makes passive authentication check the
    signer chain; without it passive authentication can only say "not checked (no CSCA list)".
    """

    def __init__(
        self,
        reader: str = "",
        *,
        bac_keys: Callable[[], Sequence[AccessKey]] | None = None,
        csca: TrustStore | Sequence[x509.Certificate] = (),
        exchange_timeout: float = 5.0,
    ) -> None:
        self.name = f"PC/SC {reader}" if reader else "PC/SC (any reader)"
        self.wanted = reader
        self.exchange_timeout = exchange_timeout
        self._bac_keys = bac_keys
        self._csca = csca if isinstance(csca, TrustStore) else TrustStore(tuple(csca))
        self._worker: _Worker | None = None
        self._seen: dict[str, tuple[int, bool]] = {}  # reader -> (event counter, needs key)
        self._caps: dict[str, ReaderCaps] = {}  # reader -> what it was found to carry
        self._lock = threading.Lock()

    def _call(self, job: Callable[[_Worker], T], budget: float) -> T:
        with self._lock:
            if self._worker is None or self._worker.abandoned.is_set():
                self._worker = _Worker()
            worker = self._worker
        future = worker.submit(job)
        deadline = time.monotonic() + budget
        while True:
            try:
                return future.result(timeout=0.1)
            except FutureTimeout:
                started = worker.exchange_started
                now = time.monotonic()
                if started is not None and now - started > self.exchange_timeout:
                    worker.stop()
                    raise CardNotResponding(
                        f"no answer within {self.exchange_timeout:.1f} s"
                    ) from None
                if now > deadline and started is None:
                    worker.stop()
                    raise CardNotResponding("reader did not finish in time") from None

    def readers(self) -> list[ReaderState]:
        return self._call(lambda w: _states(w.context()), 10.0)

    def read(
        self, timeout: float, bac: AccessKey | Sequence[AccessKey] | None = None
    ) -> IdentityDocument | None:
        """Wait up to `timeout` s for a newly presented card and read it (see module doc).

        `bac`: MRZ data and/or CANs for this card (tried before the `bac_keys` callback's).
        """
        given = [bac] if isinstance(bac, (BacKey, CanKey)) else list(bac or [])
        keys = given + list(self._bac_keys() if self._bac_keys else [])
        options = ReadOptions(tuple(keys), self._csca)
        return self._call(lambda w: self._read_job(w, timeout, options, bool(given)), timeout + 120)

    def close(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()

    # -- on the owner thread ---------------------------------------------------------

    def _matching(self, ctx: Any) -> list[str]:
        hresult, names = scard.SCardListReaders(ctx, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            raise _error_for(hresult, "list readers")
        return [n for n in names if self.wanted.lower() in n.lower()]

    def _read_job(
        self, w: _Worker, timeout: float, options: ReadOptions, key_given: bool
    ) -> IdentityDocument | None:
        deadline = time.monotonic() + timeout
        had_reader = False
        stale = 0
        last_error: CardError | None = None
        while not w.abandoned.is_set():
            remaining = deadline - time.monotonic()
            try:
                ctx = w.context()
                names = self._matching(ctx)
                had_reader = had_reader or bool(names)
                if not names and remaining > 0:
                    # wait for a reader to be plugged in (PnP notification), then re-list;
                    # some pcsc-lite versions answer the PnP pseudo-reader at once, so pace it
                    started = time.monotonic()
                    scard.SCardGetStatusChange(
                        ctx,
                        min(SLICE_MS, int(remaining * 1000)),
                        [(PNP, scard.SCARD_STATE_UNAWARE)],
                    )
                    if time.monotonic() - started < 0.05:
                        w.abandoned.wait(min(0.2, max(remaining, 0)))
                    last_error = ReaderRemoved() if had_reader else ReaderNotFound(self.wanted)
                    continue
                if not names:
                    raise last_error or ReaderNotFound(self.wanted)
                found = self._wait_for_card(ctx, names, remaining, key_given)
                if found is None:
                    if remaining <= 0:
                        return None
                    continue
                try:
                    return self._read_present(w, ctx, found[0], found[1], found[2], options)
                except _StaleCard:
                    # pcscd had not yet noticed a swapped card (it polls ~every 400 ms):
                    # wait for its state to settle and try again, within the deadline
                    stale += 1
                    if stale > 3 or remaining <= 0:
                        raise CardNotResponding("card did not answer its first command") from None
                    w.abandoned.wait(0.3)
            except PcscUnavailable as exc:
                w.release()
                if remaining <= 0:
                    raise
                last_error = exc
                w.abandoned.wait(min(0.5, max(remaining, 0)))
        return None

    def _wait_for_card(
        self, ctx: Any, names: list[str], remaining: float, key_given: bool
    ) -> tuple[str, int, bytes] | None:
        wait_ms = max(0, min(SLICE_MS, int(remaining * 1000)))
        hresult, states = scard.SCardGetStatusChange(
            ctx, 0, [(n, scard.SCARD_STATE_UNAWARE) for n in names]
        )
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            raise _error_for(hresult, "reader status")
        for name, event, atr in states:
            counter = (event >> 16) & 0xFFFF
            present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
            seen = self._seen.get(name)
            if not present:
                self._seen.pop(name, None)
                continue
            if seen is None or seen[0] != counter or (key_given and seen[1]):
                return name, counter, bytes(atr)
        if wait_ms == 0:
            return None
        current = [(n, ev & ~scard.SCARD_STATE_CHANGED) for n, ev, _ in states]
        hresult, _ = scard.SCardGetStatusChange(
            ctx, wait_ms, current + [(PNP, scard.SCARD_STATE_UNAWARE)]
        )
        if hresult in _NO_SERVICE:
            raise _error_for(hresult, "waiting for a card")
        return None

    def _read_present(
        self, w: _Worker, ctx: Any, reader: str, counter: int, atr: bytes, options: ReadOptions
    ) -> IdentityDocument:
        hresult, card, protocol = scard.SCardConnect(
            ctx, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hresult != scard.SCARD_S_SUCCESS:
            self._seen[reader] = (counter, False)
            raise _error_for(hresult, f"connect {reader}")
        needs_key = False
        transport = _PcscTransport(w, card, protocol)
        try:
            return read_card(transport, atr, options, self._caps.setdefault(reader, ReaderCaps()))
        except (BacKeyNeeded, AccessDenied):
            needs_key = True
            raise
        except CardError as exc:
            if isinstance(exc, (CardNotResponding, CardRemoved)):
                if transport.exchanges == 0 and not w.abandoned.is_set():
                    needs_key = True  # not consumed: let the retry see the new card
                    raise _StaleCard() from exc
                raise self._why_failed(ctx, reader, exc) from exc
            raise
        finally:
            if needs_key and transport.exchanges == 0:
                self._seen.pop(reader, None)
            else:
                self._seen[reader] = (counter, needs_key)
            scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)

    def _why_failed(self, ctx: Any, reader: str, exc: CardError) -> CardError:
        """A failed exchange: tell "card pulled" from "reader pulled" from "card mute".

        Readers (and vpcd) may report the removal a moment after the failed exchange, so a
        card still shown present gets up to a second to be seen going.
        """
        current = scard.SCARD_STATE_UNAWARE
        for wait_ms in (0, 1000):
            hresult, states = scard.SCardGetStatusChange(ctx, wait_ms, [(reader, current)])
            if hresult in _NO_SERVICE:
                return PcscUnavailable(exc.detail)
            if hresult in _NO_READER or (states and states[0][1] & scard.SCARD_STATE_UNKNOWN):
                return ReaderRemoved(exc.detail)
            if hresult == scard.SCARD_E_TIMEOUT or not states:
                break
            if not states[0][1] & scard.SCARD_STATE_PRESENT:
                return CardRemoved(exc.detail)
            current = states[0][1] & ~scard.SCARD_STATE_CHANGED
        return exc
