"""Card-present -> IdentityDocument time through pcscd + vpcd with the in-tree eMRTD chip.

    .venv/bin/python benchmarks/cards.py [--runs 20]

Passport: BAC + EF.COM + DG1 + a 20 KB DG2 + EF.SOD, passive authentication with a CSCA.
Figures (median and worst of --runs):
  present->doc   card inserted to document returned (includes pcscd's ~400 ms presence poll)
  read (chip)    read() with the card already present: BAC + files + PA through pcscd
  direct         the same profile code against the emulator in-process (no pcscd, no vpcd):
                 the baseline, measured in this run; "middleware cost" is the difference
  uid card       one GET DATA through pcscd, the floor of any PC/SC read
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.cards.apdu import Response
from hardware.cards.pcsc import PcscCardReader, list_readers
from hardware.cards.profiles import ReadOptions, read_card
from hardware.sim import pcscd_service
from hardware.sim.emrtd_card import EmrtdCard, issue_passport, make_pki
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VpcdSlot

FACE = Path(__file__).resolve().parents[1].parent / "shared/testdata/faces/edge/obama_480p.jpg"


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


def wait_present(reader: str) -> None:
    wait_state(reader, "card")


def fmt(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:7.1f} ms   worst {max(samples) * 1000:7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    pki = make_pki()
    photo = FACE.read_bytes() if FACE.exists() else None
    passport = issue_passport(pki=pki, photo=photo, photo_bytes=20_500, photo_box=(480, 640))
    dg2 = len(passport.files[b"\x01\x02"])
    options = ReadOptions((passport.key,), (pki.csca_cert,))

    direct: list[float] = []
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
        present, chip, uid = [], [], []
        for _ in range(args.runs):
            wait_state(service.readers[0], "empty")
            slot = VpcdSlot(EmrtdCard(passport), service.port)
            t = time.perf_counter()
            slot.insert()
            doc = reader.read(10, bac=passport.key)
            present.append(time.perf_counter() - t)
            assert doc is not None and doc.photo is not None
            slot.remove()
        for _ in range(args.runs):
            wait_state(service.readers[0], "empty")
            with VpcdSlot(EmrtdCard(passport), service.port) as slot:
                wait_present(service.readers[0])
                t = time.perf_counter()
                doc = reader.read(10, bac=passport.key)
                chip.append(time.perf_counter() - t)
                apdus = slot.apdu_count
        for _ in range(args.runs):
            wait_state(service.readers[0], "empty")
            with VpcdSlot(UidCard(b"\x04\x01\x02\x03\x04\x05\x06"), service.port):
                wait_present(service.readers[0])
                t = time.perf_counter()
                reader.read(10)
                uid.append(time.perf_counter() - t)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
