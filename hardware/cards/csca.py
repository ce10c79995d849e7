"""The venue's trust anchors for passive authentication: CSCA certificates and CRLs.

A `TrustStore` comes from a CSCA master list (ICAO 9303-12: CMS SignedData whose content
is `CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }`, signed by a
master list signer that one of the listed CSCAs certified), from a folder of CSCA
certificates (PEM or DER), or both, plus CRLs issued by those CSCAs. `judge_signer` says
whether a document signer certificate chains to one of them, was valid on the document's
issue date and is not revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from hardware.cards import cms, tlv
from hardware.cards.errors import CscaListError, MalformedCardData

OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"
MAX_LIST_FILE = 64 * 1024 * 1024  # ICAO's own master list is a few MB


@dataclass(frozen=True)
class TrustStore:
    anchors: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.anchors)


@dataclass(frozen=True)
class SignerVerdict:
    csca: str  # "trusted" | "unknown" | "untrusted" | "revoked" | "not_valid_at_issue"
    detail: str


def master_list_certificates(data: bytes) -> list[x509.Certificate]:
    """The CSCA certificates of a master list whose signature verifies. CscaListError if not."""
    try:
        content = cms.parse_signed_data(data)
        if content.content_type != OID_CSCA_MASTER_LIST:
            raise CscaListError(f"content type {content.content_type} is not a CSCA master list")
        fields = tlv.parse_one(content.econtent)[0].children()
        if len(fields) < 2 or fields[1].tag != 0x31:
            raise CscaListError("master list has no certificate set")
        listed = [cms.load_certificate(c.raw) for c in fields[1].children()]
    except MalformedCardData as exc:
        raise CscaListError(f"master list does not parse: {exc.detail}") from exc
    certs = [c for c in listed if c is not None]
    if not certs:
        raise CscaListError("master list holds no readable certificate")
    signers = [c for c in map(cms.load_certificate, content.certificates) if c is not None]
    signer = next((s for s in signers if cms.verify_signer(content, s)), None)
    if signer is None:
        raise CscaListError("master list signature does not verify")
    if not any(_issued_by(signer, anchor) for anchor in certs):
        raise CscaListError("master list signer is not certified by a CSCA in the list")
    return certs


def _issued_by(cert: x509.Certificate, anchor: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(anchor)
    except Exception:  # wrong issuer, bad signature or an exotic key type: not this anchor
        return False
    return True


def load_trust(paths: Iterable[str | Path]) -> TrustStore:
    """Anchors and CRLs from files and folders (every file in a folder, not recursive).

    Each file may be a master list, PEM (certificates and/or CRLs) or one DER certificate
    or CRL. CscaListError names the first file that is none of these.
    """
    anchors: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for item in paths:
        path = Path(item)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                if file.stat().st_size > MAX_LIST_FILE:
                    raise CscaListError(f"{file}: larger than {MAX_LIST_FILE} bytes")
                data = file.read_bytes()
            except OSError as exc:
                raise CscaListError(f"{file}: {exc}") from exc
            certs, revoked = _load_one(file, data)
            anchors.extend(certs)
            crls.extend(revoked)
    return TrustStore(tuple(anchors), tuple(crls))


def _load_one(
    file: Path, data: bytes
) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    if b"-----BEGIN" in data:
        certs: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        try:
            if b"BEGIN CERTIFICATE" in data:
                certs = x509.load_pem_x509_certificates(data)
            if b"BEGIN X509 CRL" in data:
                for block in data.split(b"-----END X509 CRL-----")[:-1]:
                    start = block.index(b"-----BEGIN X509 CRL-----")
                    crls.append(x509.load_pem_x509_crl(block[start:] + b"-----END X509 CRL-----"))
        except ValueError as exc:
            raise CscaListError(f"{file}: {exc}") from exc
        return certs, crls
    cert = cms.load_certificate(data)
    if cert is not None:
        return [cert], []
    try:
        return [], [x509.load_der_x509_crl(data)]
    except ValueError:
        pass
    try:
        return master_list_certificates(data), []
    except CscaListError as exc:
        raise CscaListError(f"{file}: {exc.detail}") from exc


def judge_signer(
    ds: x509.Certificate, store: TrustStore | Sequence[x509.Certificate], issued: dt.date | None
) -> SignerVerdict:
    """Whether document signer `ds` chains to the store, on the document's issue date."""
    if not isinstance(store, TrustStore):
        store = TrustStore(tuple(store))
    named = [a for a in store.anchors if a.subject == ds.issuer]
    if not named:
        return SignerVerdict("unknown", "document signer's CSCA is not in the configured list")
    anchor = next((a for a in named if _issued_by(ds, a)), None)
    if anchor is None:
        return SignerVerdict("untrusted", "document signer not signed by the CSCA it names")
    for crl in store.crls:
        if crl.issuer == anchor.subject and crl.is_signature_valid(anchor.public_key()):  # type: ignore[arg-type]
            if crl.get_revoked_certificate_by_serial_number(ds.serial_number) is not None:
                return SignerVerdict("revoked", "document signer revoked by its CSCA's CRL")
    if issued is None:
        return SignerVerdict("trusted", "issue date unknown: signer validity period not checked")
    if not ds.not_valid_before_utc.date() <= issued <= ds.not_valid_after_utc.date():
        return SignerVerdict(
            "not_valid_at_issue",
            f"document signer valid {ds.not_valid_before_utc.date()}..{ds.not_valid_after_utc.date()}"
            f", document issued {issued}",
        )
    return SignerVerdict("trusted", f"signer valid on the issue date {issued}")
