"""Property-based fuzzing of the card parsers (short run by default).

Random bytes and mutations of valid card data (EF.SOD, DG2, eID identity file, GA/T 467
frames and base texts) go through every parser; only the documented CardError subclasses
may come out. The long run: `.venv/bin/python benchmarks/fuzz_cards.py --seconds 600`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.cards import gat467
from hardware.sim.eid_card import identity_file
from hardware.sim.emrtd_card import issue_passport, make_pki
from hardware.sim.emrtd_issue import master_list
from hardware.sim.gat467_emulator import foreign_text, resident_text

from .fuzz_targets import TARGETS


def _seeds() -> dict[str, list[bytes]]:
    pki = make_pki()
    passport = issue_passport(
        pki=pki, photo_bytes=3000, aa="ec", ca="NIST256p", pace=("0.4.0.127.0.7.2.2.4.2.2", 13)
    )
    base = resident_text()
    frame = gat467.encode_frame(bytes([0, 0, 0x90]) + (256).to_bytes(2, "big") + b"\x00\x00" + base)
    return {
        "tlv": [passport.files[b"\x01\x1d"], passport.files[b"\x01\x01"]],
        "sod": [passport.files[b"\x01\x1d"]],
        "dg2": [passport.files[b"\x01\x02"][:600]],
        "gat467_frame": [frame],
        "base_text": [base, foreign_text(), resident_text(card_type="J")],
        "eid": [identity_file()],
        "mrz": [passport.mrz.encode()],
        "security_infos": [passport.files[b"\x01\x1c"], passport.files[b"\x01\x0e"]],
        "master_list": [master_list([pki.csca_cert], signer=pki)],
        "file_header": [passport.files[b"\x01\x02"][:8], b"\x75\x83\x01\x80\x00"],
    }


SEEDS = _seeds()


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    seed = bytearray(draw(st.sampled_from(SEEDS[name])))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 3))
        pos = draw(st.integers(0, max(0, len(seed) - 1)))
        if op == 0 and seed:
            seed[pos] = draw(st.integers(0, 255))
        elif op == 1:
            seed = seed[:pos]
        elif op == 2:
            seed[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif seed:
            del seed[pos : pos + draw(st.integers(1, 16))]
    return bytes(seed)


def _run(target: Callable[[bytes], None], name: str) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.binary(max_size=400), mutated(name)))
    def check(data: bytes) -> None:
        target(data)

    check()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_parser_survives_random_and_mutated_input(name: str) -> None:
    _run(TARGETS[name], name)
