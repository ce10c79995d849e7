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
from hardware.sim.emrtd_issue import master_list
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


FACES = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "faces" / "edge"


def test_read_34_kb_passport_prints_each_check_in_words(
    pcscd: pcscd_service.PrivatePcscd, tmp_path: Path
) -> None:
    """The issue's report: a 34 KB DG2 ended in a traceback. Now it reads, and each check
    is said in words, against a CSCA master list."""
    pki = make_pki()
    passport = issue_passport(
        pki=pki, photo=(FACES / "obama_480p.jpg").read_bytes(), photo_bytes=34_000,
        photo_box=(640, 480), aa="rsa", ca="BRAINPOOLP256r1",
    )  # fmt: skip
    ml = tmp_path / "csca.ml"
    ml.write_bytes(master_list([pki.csca_cert], signer=pki))
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        result = CliRunner().invoke(
            cards,
            ["read", "--reader", pcscd.readers[0], "--mrz", passport.mrz[44:], "--csca",
             str(ml), "--timeout", "10"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "被动认证 / passive authentication:" in result.output
    assert "Passed: chip data unaltered" in result.output
    assert "主动认证 / active authentication:" in result.output
    assert "芯片认证 / chip authentication:" in result.output
    assert result.output.count("Passed:") == 3


def test_read_pace_id_card_with_its_can(pcscd: pcscd_service.PrivatePcscd) -> None:
    passport = issue_passport(
        pki=make_pki(), pace=("0.4.0.127.0.7.2.2.4.2.2", 13), bac=False, can="482913"
    )
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        result = CliRunner().invoke(
            cards, ["read", "--reader", pcscd.readers[0], "--can", "482913", "--json",
                    "--timeout", "10"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["reading_method"] == "pcsc_emrtd_pace" and doc["passive_auth"] == "no_csca"
    passive = next(c for c in doc["checks"] if c["kind"] == "passive")
    assert passive["result"] == "not_checked" and "no CSCA list" in passive["en"]


def test_scanned_mrz_with_a_bad_check_digit_never_touches_the_chip(
    pcscd: pcscd_service.PrivatePcscd,
) -> None:
    passport = issue_passport(pki=make_pki())
    line = passport.mrz[44:]
    bad = line[:9] + str((int(line[9]) + 1) % 10) + line[10:]
    card = EmrtdCard(passport)
    with VpcdSlot(card, pcscd.port):
        result = CliRunner().invoke(
            cards, ["read", "--reader", pcscd.readers[0], "--mrz", bad, "--timeout", "3"]
        )
    assert result.exit_code == 1
    assert "校验位不符" in result.output and "check digits" in result.output
    assert card.log == []


def test_a_damaged_csca_list_is_refused_in_both_languages(tmp_path: Path) -> None:
    bad = tmp_path / "csca.ml"
    bad.write_bytes(b"\x30\x03\x02\x01\x00")
    result = CliRunner().invoke(cards, ["read", "--csca", str(bad), "--timeout", "1"])
    assert result.exit_code == 1
    assert "CSCA 证书列表无法使用" in result.output and "cannot be used" in result.output
    assert "csca.ml" in result.output


def test_auto_port_without_a_known_reader_says_so_in_both_languages() -> None:
    from serial.tools import list_ports

    from hardware.cards.serial_find import usb_serial_candidates

    if usb_serial_candidates(ports=list_ports.comports()):
        pytest.fail("this machine has a USB-serial bridge attached; the test needs none")
    result = CliRunner().invoke(cards, ["read", "--kind", "gat467", "--port", "auto"])
    assert result.exit_code == 1
    assert "身份证阅读器通信失败" in result.output and "not communicating" in result.output
    assert "known reader USB id" in result.output
