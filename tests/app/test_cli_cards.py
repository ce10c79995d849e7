"""`examkiosk cards list` / `cards read` against the private pcscd and the serial emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from examkiosk.app.cli_cards import cards
from hardware.sim import pcscd_service
from hardware.sim.emrtd_card import EmrtdCard, issue_passport, make_pki
from hardware.sim.gat467_emulator import Gat467Emulator, resident_text
from hardware.sim.uid_card import UidCard
from hardware.sim.vpcd import VpcdSlot


@pytest.fixture(scope="module")
def pcscd() -> Iterator[pcscd_service.PrivatePcscd]:
    try:
        service = pcscd_service.shared()
    except (pcscd_service.PcscdBusy, pcscd_service.PcscdMissing) as exc:
        pytest.fail(f"PC/SC CLI tests need their own pcscd: {exc}")
    yield service
    pcscd_service.release()


def test_list_shows_both_vpcd_slots(pcscd: pcscd_service.PrivatePcscd) -> None:
    result = CliRunner().invoke(cards, ["list", "--json"])
    assert result.exit_code == 0, result.output
    names = [r["name"] for r in json.loads(result.output)["pcsc"]]
    assert list(pcscd.readers) == [n for n in names if n in pcscd.readers]


def test_read_passport_with_mrz_prints_json_and_saves_photo(
    pcscd: pcscd_service.PrivatePcscd, tmp_path: Path
) -> None:
    passport = issue_passport(pki=make_pki())
    photo = tmp_path / "chip.jpg"
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        result = CliRunner().invoke(
            cards,
            ["read", "--reader", pcscd.readers[0], "--mrz", "E12345678,1990-01-15,340101",
             "--json", "--timeout", "5", "--photo-out", str(photo)],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["number"] == "E12345678" and doc["passive_auth"] == "no_csca"
    with Image.open(photo) as img:
        assert img.format == "JPEG"


def test_read_passport_without_mrz_explains_what_is_needed(
    pcscd: pcscd_service.PrivatePcscd,
) -> None:
    passport = issue_passport(pki=make_pki())
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        result = CliRunner().invoke(cards, ["read", "--reader", pcscd.readers[0], "--timeout", "5"])
    assert result.exit_code == 1
    assert "出生日期" in result.output and "--mrz" not in result.output


def test_read_times_out_with_exit_code_2(pcscd: pcscd_service.PrivatePcscd) -> None:
    result = CliRunner().invoke(cards, ["read", "--reader", pcscd.readers[1], "--timeout", "0.5"])
    assert result.exit_code == 2 and "No card" in result.output


def test_read_uid_card_as_text(pcscd: pcscd_service.PrivatePcscd) -> None:
    with VpcdSlot(UidCard(bytes.fromhex("04AABBCCDD1122")), pcscd.port + 1):
        result = CliRunner().invoke(cards, ["read", "--reader", pcscd.readers[1], "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "card_uid: 04AABBCCDD1122" in result.output


def test_read_resident_id_from_serial_reader() -> None:
    with Gat467Emulator() as emu:
        emu.place(resident_text(), bytes(1024))
        result = CliRunner().invoke(
            cards, ["read", "--kind", "gat467", "--port", emu.port, "--json", "--timeout", "3"]
        )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["name"] == "张伟" and doc["extra"]["photo_note_en"].startswith("No chip photo")
