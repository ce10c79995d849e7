"""EF.SOD (ICAO 9303 part 10/12): the LDS security object and passive authentication.

Passive authentication proves the data groups were written by the issuing state:
1. each data group read hashes to the value in the LDS security object;
2. the document signer's signature over the signed attributes verifies, and the
   messageDigest attribute is the hash of the LDS security object;
3. the document signer certificate was issued by a CSCA in the venue's list
   (`hardware.cards.csca`), was valid on the document's issue date and is not revoked.
Only all three make `PASSED`. Without a CSCA list the result is `NO_CSCA` ("not checked
(no CSCA list)"): a self-made chip with its own signer passes steps 1 and 2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509

from hardware.cards import cms, tlv
from hardware.cards.csca import TrustStore, judge_signer
from hardware.cards.document import PassiveAuth
from hardware.cards.errors import MalformedCardData

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
HASH_OIDS = cms.HASH_OIDS


@dataclass(frozen=True)
class SecurityObject:
    hash_algorithm: str  # hashlib name
    dg_hashes: Mapping[int, bytes]
    signed: cms.SignedContent

    @property
    def certificates(self) -> tuple[bytes, ...]:
        return self.signed.certificates


@dataclass(frozen=True)
class PassiveAuthResult:
    status: PassiveAuth
    mismatched: tuple[int, ...] = ()
    signature_ok: bool | None = None
    # "trusted" | "unknown" | "untrusted" | "revoked" | "not_valid_at_issue" | "not_configured"
    csca: str = "not_configured"
    detail: str = ""
    checked: tuple[int, ...] = field(default_factory=tuple)


def parse_sod(ef_sod: bytes) -> SecurityObject:
    """Parse EF.SOD's content (with or without its 0x77 wrapper). MalformedCardData if bad."""
    signed = cms.parse_signed_data(ef_sod)
    if signed.content_type != OID_LDS_SECURITY_OBJECT:
        raise MalformedCardData("SignedData does not carry an LDS security object")
    try:
        lds = tlv.parse_one(signed.econtent)[0].children()
        if len(lds) < 3:
            raise MalformedCardData("LDS security object has too few fields")
        hash_oid = cms.oid_of(lds[1].children()[0])
        if hash_oid not in HASH_OIDS:
            raise MalformedCardData(f"unsupported hash algorithm {hash_oid}")
        dg_hashes: dict[int, bytes] = {}
        for entry in lds[2].children():
            parts = entry.children()
            if len(parts) != 2 or parts[0].tag != 0x02 or parts[1].tag != 0x04:
                raise MalformedCardData("malformed data group hash entry")
            dg_hashes[tlv.der_int(parts[0].value)] = parts[1].value
    except IndexError as exc:
        raise MalformedCardData(f"LDS security object incomplete: {exc}") from exc
    return SecurityObject(HASH_OIDS[hash_oid], dg_hashes, signed)


def issue_date(dg12: bytes | None) -> dt.date | None:
    """DG12's date of issue (tag 5F26, YYYYMMDD), if the chip has one that parses."""
    if dg12 is None:
        return None
    for item in tlv.walk(dg12):
        if item.tag == 0x5F26:
            text = item.value.decode("ascii", "replace")
            try:
                return dt.datetime.strptime(text, "%Y%m%d").date()
            except ValueError:
                return None
    return None


def passive_authentication(
    ef_sod: bytes | None,
    data_groups: Mapping[int, bytes],
    trust: TrustStore | Sequence[x509.Certificate] = (),
    issued: dt.date | None = None,
) -> PassiveAuthResult:
    """Check `data_groups` (number -> file bytes as read) against EF.SOD. Never raises.

    `issued` is the document's issue date; when not given, DG12's (if among the groups
    and verified by its hash) and otherwise the SOD's signing time stand in for it.
    """
    if ef_sod is None:
        return PassiveAuthResult(PassiveAuth.NOT_CHECKED, detail="chip has no EF.SOD")
    try:
        so = parse_sod(ef_sod)
    except MalformedCardData as exc:
        return PassiveAuthResult(PassiveAuth.FAILED, detail=f"EF.SOD unreadable: {exc.detail}")
    mismatched = []
    for number, content in sorted(data_groups.items()):
        expected = so.dg_hashes.get(number)
        if expected is None or hashlib.new(so.hash_algorithm, content).digest() != expected:
            mismatched.append(number)
    # EF.SOD may carry more than the signer's certificate: the signer is the one whose key
    # verifies the signature (else the first, for the report)
    certs = [c for c in map(cms.load_certificate, so.certificates) if c is not None]
    cert = next((c for c in certs if cms.verify_signer(so.signed, c)), None)
    signature_ok = cert is not None
    cert = cert or (certs[0] if certs else None)
    if issued is None and 12 not in mismatched:
        issued = issue_date(data_groups.get(12))
    if issued is None and so.signed.signing_time is not None:
        issued = so.signed.signing_time.date()
    csca, csca_note = "not_configured", ""
    if trust and cert is not None:
        verdict = judge_signer(cert, trust, issued)
        csca, csca_note = verdict.csca, verdict.detail
    elif trust:
        csca, csca_note = "untrusted", "no document signer certificate in EF.SOD"
    problems = []
    if mismatched:
        problems.append("hash mismatch in DG" + ",".join(str(n) for n in mismatched))
    if not signature_ok:
        problems.append("document signer signature does not verify")
    if csca in ("untrusted", "revoked", "not_valid_at_issue"):
        problems.append(csca_note)
    if problems:
        status = PassiveAuth.FAILED
    elif csca == "not_configured":
        status = PassiveAuth.NO_CSCA
        problems.append(
            "data group hashes and signature verified; signer not checked (no CSCA list)"
        )
    elif csca == "unknown":
        status = PassiveAuth.UNKNOWN_CSCA
        problems.append(f"data group hashes and signature verified; {csca_note}")
    else:
        status = PassiveAuth.PASSED
    return PassiveAuthResult(
        status,
        mismatched=tuple(mismatched),
        signature_ok=signature_ok,
        csca=csca,
        detail="; ".join(problems)
        or f"data group hashes, signature and CSCA chain verified ({csca_note})",
        checked=tuple(sorted(data_groups)),
    )
