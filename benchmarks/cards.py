"""Card-present -> IdentityDocument time through pcscd + vpcd with the in-tree eMRTD chip.

    .venv/bin/python benchmarks/cards.py [--runs 20]

Passport: access control + EF.COM + DG1 + DG2 + EF.SOD, passive authentication with a CSCA.
Figures (median and worst of --runs):
  present->doc   card inserted to document returned (includes pcscd's ~400 ms presence poll)
  read (chip)    read() with the card already present: BAC + files + PA through pcscd
  direct         the same profile code against the emulator in-process (no pcscd, no vpcd):
                 the baseline, measured in this run; "middleware cost" is the difference
  uid card       one GET DATA through pcscd, the floor of any PC/SC read
Access control, same chip (PACE and BAC both offered; the PACE-less copy forces BAC):
  BAC / PACE     read() with the card present; PACE (ECDH brainpoolP256r1, AES-128) costs
                 four more exchanges and two scalar multiplications more than BAC
Large photo (the 20 KB read above is the baseline):
  100 KB DG2     short APDUs (B0 then B1, 223 bytes each) and extended length (1792 bytes)
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.cards.apdu import Response
from hardware.cards.document import IdentityDocument
from hardware.cards.pcsc import PcscCardReader, list_readers
from hardware.cards.profiles import ReadOptions, read_card
from hardware.sim import pcscd_service
from hardware.sim.emrtd_card import FID_DG2, EmrtdCard, issue_passport, make_pki
from hardware.sim.emrtd_issue import FID_CARD_ACCESS
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VpcdSlot

FACES = Path(__file__).resolve().parents[1].parent / "shared/testdata/faces/edge"
PACE_AES128 = "0.4.0.127.0.7.2.2.4.2.2"
BRAINPOOL_P256 = 13


class Direct:
    def __init__(self, card: EmrtdCard) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> Response:
        answer = self.card.apdu(apdu)
        assert answer is not None
        return Response.from_bytes(answer)


def wait_state(reader: str, state: str) -> None:
    """Until pcscd reports `state` for the reader (outside the timed part)."""
    for _ in range(200):
        if any(r.name == reader and r.state == state for r in list_readers()):
            return
        time.sleep(0.02)
    raise RuntimeError(f"pcscd never reported {state}")


def fmt(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:7.1f} ms   worst {max(samples) * 1000:7.1f} ms"
    )


def timed_reads(
    service: pcscd_service.PrivatePcscd,
    reader: PcscCardReader,
    runs: int,
    make_card: Callable[[], EmrtdCard],
    key: object,
    check: Callable[[IdentityDocument], bool],
) -> tuple[list[float], int]:
    """read() times with the card already present, and the APDUs of the last read."""
    samples, apdus = [], 0
    for _ in range(runs):
        wait_state(service.readers[0], "empty")
        with VpcdSlot(make_card(), service.port) as slot:
            wait_state(service.readers[0], "card")
            t = time.perf_counter()
            doc = reader.read(20, bac=key)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - t)
            apdus = slot.apdu_count
        assert doc is not None and check(doc)
    return samples, apdus


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    pki = make_pki()
    face = FACES / "obama_480p.jpg"
    photo = face.read_bytes() if face.exists() else None
    passport = issue_passport(pki=pki, photo=photo, photo_bytes=20_500, photo_box=(480, 640))
    dg2 = len(passport.files[FID_DG2])
    options = ReadOptions((passport.key,), (pki.csca_cert,))
    both = issue_passport(pki=pki, photo=photo, pace=(PACE_AES128, BRAINPOOL_P256), bac=True)
    bac_only = dataclasses.replace(
        both, files={k: v for k, v in both.files.items() if k != FID_CARD_ACCESS}, pace=None
    )
    big_source = FACES / "obama_1080p.jpg"
    big = issue_passport(
        pki=pki, photo=big_source.read_bytes() if big_source.exists() else photo,
        photo_bytes=100_000, photo_box=(1920, 1080),
    )  # fmt: skip
    big_dg2 = len(big.files[FID_DG2])

    direct: list[float] = []
    warm = EmrtdCard(passport)  # first use imports and builds tables: not part of a read
    read_card(Direct(warm), warm.atr, options)
    for _ in range(args.runs):
        card = EmrtdCard(passport)
        t = time.perf_counter()
        direct_doc = read_card(Direct(card), card.atr, options)
        direct.append(time.perf_counter() - t)
        assert direct_doc.passive_auth.value == "passed"

    try:
        service = pcscd_service.shared()
    except (pcscd_service.PcscdBusy, pcscd_service.PcscdMissing) as exc:
        print(f"cannot run the PC/SC part: {exc}")
        return 2
    try:
        reader = PcscCardReader(service.readers[0], csca=[pki.csca_cert])
        present = []
        for _ in range(args.runs):
            wait_state(service.readers[0], "empty")
            slot = VpcdSlot(EmrtdCard(passport), service.port)
            t = time.perf_counter()
            slot.insert()
            doc = reader.read(10, bac=passport.key)
            present.append(time.perf_counter() - t)
            assert doc is not None and doc.photo is not None
            slot.remove()
        chip, apdus = timed_reads(
            service, reader, args.runs, lambda: EmrtdCard(passport), passport.key,
            lambda d: d.passive_auth.value == "passed",
        )  # fmt: skip
        uid = []
        for _ in range(args.runs):
            wait_state(service.readers[0], "empty")
            with VpcdSlot(UidCard(b"\x04\x01\x02\x03\x04\x05\x06"), service.port):
                wait_state(service.readers[0], "card")
                t = time.perf_counter()
                reader.read(10)
                uid.append(time.perf_counter() - t)
        bac_times, bac_apdus = timed_reads(
            service, reader, args.runs, lambda: EmrtdCard(bac_only), both.key,
            lambda d: d.extra["access_control"] == "BAC",
        )  # fmt: skip
        pace_times, pace_apdus = timed_reads(
            service, reader, args.runs, lambda: EmrtdCard(both), both.key,
            lambda d: d.extra["access_control"] == "PACE",
        )  # fmt: skip

        def short_card() -> EmrtdCard:
            card = EmrtdCard(big)
            card.extended_length = False
            return card

        big_short, big_short_apdus = timed_reads(
            service, reader, args.runs, short_card, big.key, lambda d: d.photo == big.photo
        )
        big_ext, big_ext_apdus = timed_reads(
            service, reader, args.runs, lambda: EmrtdCard(big), big.key,
            lambda d: d.photo == big.photo,
        )  # fmt: skip
        reader.close()
    finally:
        pcscd_service.release()
    print(f"eMRTD: DG2 {dg2} bytes, {apdus} APDUs per read, {args.runs} runs")
    print(f"  present->doc  {fmt(present)}")
    print(f"  read (chip)   {fmt(chip)}")
    print(f"  direct        {fmt(direct)}   (baseline, no middleware)")
    print(f"  uid card      {fmt(uid)}")
    per_apdu = (statistics.median(chip) - statistics.median(direct)) / max(apdus, 1)
    print(f"  middleware cost {per_apdu * 1000:.2f} ms per APDU "
          f"({statistics.median(chip) / statistics.median(direct):.1f}x the direct read)")  # fmt: skip
    print("access control on the same chip (files as above, DG2 "
          f"{len(both.files[FID_DG2])} bytes):")  # fmt: skip
    print(f"  BAC           {fmt(bac_times)}   ({bac_apdus} APDUs, baseline)")
    print(f"  PACE          {fmt(pace_times)}   ({pace_apdus} APDUs)")
    extra = statistics.median(pace_times) - statistics.median(bac_times)
    print(f"  PACE costs {extra * 1000:+.1f} ms over BAC")
    print(f"large photo: DG2 {big_dg2} bytes (baseline: the {dg2}-byte read above)")
    print(f"  short APDUs   {fmt(big_short)}   ({big_short_apdus} APDUs)")
    print(f"  extended      {fmt(big_ext)}   ({big_ext_apdus} APDUs)")
    ratio = statistics.median(big_short) / statistics.median(chip)
    print(f"  100 KB with short APDUs takes {ratio:.1f}x the 20 KB read; extended length "
          f"{statistics.median(big_ext) / statistics.median(chip):.1f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
