"""Active and chip authentication through pcscd + vpcd: a genuine chip proves its keys, a
copied chip (same files, no private keys) is caught, and the door gets each check in words."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hardware.cards.document import CheckResult, IdentityDocument
from hardware.cards.pcsc import PcscCardReader
from hardware.sim.emrtd_card import DemoPki, EmrtdCard, Passport, issue_passport
from hardware.sim.pcscd_service import PrivatePcscd
from hardware.sim.vpcd import VpcdSlot


@pytest.fixture
def reader(pcscd: PrivatePcscd, pki: DemoPki) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcscd.readers[0], csca=[pki.csca_cert])
    yield r
    r.close()


def _read(pcscd: PrivatePcscd, reader: PcscCardReader, passport: Passport) -> IdentityDocument:
    with VpcdSlot(EmrtdCard(passport), pcscd.port):
        doc = reader.read(10, bac=passport.key)
    assert doc is not None
    return doc


def _results(doc: IdentityDocument) -> dict[str, CheckResult]:
    return {c.kind: c.result for c in doc.checks}


@pytest.mark.parametrize(
    ("aa", "curve", "cipher"),
    [
        ("rsa", "NIST256p", "AES-128"),
        ("ec", "BRAINPOOLP256r1", "AES-256"),
        ("rsa", "BRAINPOOLP384r1", "AES-192"),
        ("ec", "NIST256p", "3DES"),
    ],
)
def test_genuine_chip_passes_every_check(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki, aa: str, curve: str, cipher: str
) -> None:
    passport = issue_passport(pki=pki, aa=aa, ca=curve, ca_cipher=cipher)
    doc = _read(pcscd, reader, passport)
    assert _results(doc) == {
        "passive": CheckResult.PASSED,
        "active": CheckResult.PASSED,
        "chip": CheckResult.PASSED,
    }
    active = next(c for c in doc.checks if c.kind == "active")
    assert "不是复制的芯片" in active.zh and "not a copy" in active.en
    assert doc.photo == passport.photo  # files read before chip authentication still count


def test_a_cloned_chip_is_caught_by_both_checks(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    genuine = issue_passport(pki=pki, aa="rsa", ca="NIST256p")
    # a copy carries every file byte for byte (so passive authentication passes) but the
    # copier never had the private keys: it makes its own
    clone = dataclasses.replace(
        genuine,
        aa_key=rsa.generate_private_key(65537, 1024),
        ca_key=ec.generate_private_key(ec.SECP256R1()),
    )
    doc = _read(pcscd, reader, clone)
    assert _results(doc) == {
        "passive": CheckResult.PASSED,
        "active": CheckResult.FAILED,
        "chip": CheckResult.FAILED,
    }
    chip = next(c for c in doc.checks if c.kind == "chip")
    assert "克隆" in chip.zh and "clone" in chip.en


def test_ecdsa_clone_fails_active_authentication(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    genuine = issue_passport(pki=pki, aa="ec")
    clone = dataclasses.replace(genuine, aa_key=ec.generate_private_key(ec.SECP256R1()))
    assert _results(_read(pcscd, reader, clone))["active"] == CheckResult.FAILED


def test_chip_without_dg14_or_dg15_says_not_offered(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    doc = _read(pcscd, reader, issue_passport(pki=pki))
    assert _results(doc)["active"] == CheckResult.NOT_SUPPORTED
    assert _results(doc)["chip"] == CheckResult.NOT_SUPPORTED
    assert "克隆" in next(c for c in doc.checks if c.kind == "active").zh


def test_chip_that_will_not_sign_is_left_for_review(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    mute = dataclasses.replace(issue_passport(pki=pki, aa="rsa"), aa_key=None)
    doc = _read(pcscd, reader, mute)
    assert _results(doc)["active"] == CheckResult.NOT_CHECKED


def test_a_clone_that_puts_its_own_key_in_dg15_fails_passive_authentication(
    pcscd: PrivatePcscd, reader: PcscCardReader, pki: DemoPki
) -> None:
    """Active authentication alone would pass (the clone holds the key it wrote); the
    issuer's hash of DG15 in EF.SOD is what catches it."""
    genuine = issue_passport(pki=pki, aa="rsa")
    own = issue_passport(pki=pki, aa="rsa")  # a key pair the copier made, DG15 to match
    clone = dataclasses.replace(
        genuine,
        files=genuine.files | {b"\x01\x0f": own.files[b"\x01\x0f"]},
        aa_key=own.aa_key,
    )
    doc = _read(pcscd, reader, clone)
    assert _results(doc)["passive"] == CheckResult.FAILED
    assert _results(doc)["active"] == CheckResult.PASSED
    assert "DG15" in doc.extra["passive_auth_detail"]
