"""Passive authentication against the venue's CSCA list: master lists, certificate folders,
CRLs and the document signer's validity on the issue date. Files written to disk and
loaded as the station loads them (`factory.load_certificates`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hardware.cards.csca import TrustStore
from hardware.cards.document import PassiveAuth
from hardware.cards.errors import CscaListError
from hardware.cards.factory import load_certificates
from hardware.cards.sod import passive_authentication
from hardware.sim.emrtd_issue import (
    DemoPki,
    Passport,
    build_sod,
    issue_passport,
    make_pki,
    master_list,
    revocation_list,
)

DER = serialization.Encoding.DER


def _pa(passport: Passport, trust: TrustStore) -> tuple[PassiveAuth, str, str]:
    files = passport.files
    groups = {n: files[bytes([1, n])] for n in (1, 2, 12) if bytes([1, n]) in files}
    result = passive_authentication(files[b"\x01\x1d"], groups, trust)
    return result.status, result.csca, result.detail


def test_master_list_anchors_a_clean_pass(tmp_path: Path, pki: DemoPki) -> None:
    other = make_pki("XXX")
    ml = tmp_path / "ICAO_ml.ml"
    ml.write_bytes(master_list([other.csca_cert, pki.csca_cert], signer=other))
    trust = load_certificates(str(ml))
    assert len(trust.anchors) == 2
    assert _pa(issue_passport(pki=pki), trust)[:2] == (PassiveAuth.PASSED, "trusted")


def test_a_tampered_master_list_is_refused_in_words(tmp_path: Path, pki: DemoPki) -> None:
    data = bytearray(master_list([pki.csca_cert], signer=pki))
    at = data.find(pki.csca_cert.public_bytes(DER)) + 200  # inside the listed certificate
    data[at] ^= 0x01
    ml = tmp_path / "bad.ml"
    ml.write_bytes(bytes(data))
    with pytest.raises(CscaListError) as info:
        load_certificates(str(ml))
    assert "bad.ml" in info.value.detail
    assert "CSCA" in info.value.zh and "download the list again" in info.value.en


def test_folder_of_certificates_and_a_crl_revoking_the_signer(tmp_path: Path, pki: DemoPki) -> None:
    folder = tmp_path / "csca"
    folder.mkdir()
    (folder / "uto.pem").write_bytes(pki.csca_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "xxx.der").write_bytes(make_pki("XXX").csca_cert.public_bytes(DER))
    passport = issue_passport(pki=pki)
    assert _pa(passport, load_certificates(str(folder)))[0] == PassiveAuth.PASSED
    crl = revocation_list(pki, [pki.ds_cert.serial_number])
    (folder / "uto.crl").write_bytes(crl.public_bytes(DER))
    status, csca, detail = _pa(passport, load_certificates(str(folder)))
    assert (status, csca) == (PassiveAuth.FAILED, "revoked") and "revoked" in detail


def test_a_crl_not_signed_by_the_csca_is_ignored(tmp_path: Path, pki: DemoPki) -> None:
    impostor = make_pki("UTO")  # same name, other key
    crl = revocation_list(impostor, [pki.ds_cert.serial_number])
    trust = TrustStore((pki.csca_cert,), (crl,))
    assert _pa(issue_passport(pki=pki), trust)[0] == PassiveAuth.PASSED


def test_garbage_in_the_folder_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a certificate")
    with pytest.raises(CscaListError) as info:
        load_certificates(str(tmp_path))
    assert "notes.txt" in info.value.detail


def test_signer_must_be_valid_on_the_issue_date(pki: DemoPki) -> None:
    trust = TrustStore((pki.csca_cert,))
    today = dt.date.today().strftime("%Y%m%d")
    assert _pa(issue_passport(pki=pki, issued=today), trust)[0] == PassiveAuth.PASSED
    status, csca, detail = _pa(issue_passport(pki=pki, issued="20100301"), trust)
    assert (status, csca) == (PassiveAuth.FAILED, "not_valid_at_issue")
    assert "2010-03-01" in detail
    old = make_pki("OLD", ds_from=dt.datetime(2008, 1, 1, tzinfo=dt.UTC))
    assert _pa(issue_passport(pki=old, issued="20100301"), TrustStore((old.csca_cert,)))[0] == (
        PassiveAuth.PASSED
    )


def test_a_self_made_signer_never_passes(pki: DemoPki) -> None:
    """A forger's chip: its own 'CSCA' signed its signer, all hashes and signatures agree."""
    forger = make_pki("UTO")  # copies the real CSCA's name
    forged = issue_passport(pki=forger)
    assert _pa(forged, TrustStore())[0] == PassiveAuth.NO_CSCA
    status, csca, _ = _pa(forged, TrustStore((pki.csca_cert,)))
    assert (status, csca) == (PassiveAuth.FAILED, "untrusted")
    assert _pa(forged, TrustStore((make_pki("XXX").csca_cert,)))[0] == PassiveAuth.UNKNOWN_CSCA


def test_master_list_signed_by_a_stranger_is_refused(tmp_path: Path, pki: DemoPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ML signer nobody certified")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    stranger = DemoPki(pki.csca_cert, key, cert, key)
    ml = tmp_path / "stranger.ml"
    ml.write_bytes(master_list([pki.csca_cert], signer=stranger))
    with pytest.raises(CscaListError) as info:
        load_certificates(str(ml))
    assert "not certified" in info.value.detail


def test_the_signer_is_found_among_several_certificates_in_ef_sod(pki: DemoPki) -> None:
    passport = issue_passport(pki=pki)
    groups = {1: passport.files[b"\x01\x01"], 2: passport.files[b"\x01\x02"]}
    sod = build_sod(groups, pki, others=(pki.csca_cert,))  # the CSCA listed first
    result = passive_authentication(sod, groups, TrustStore((pki.csca_cert,)))
    assert (result.status, result.csca) == (PassiveAuth.PASSED, "trusted")
