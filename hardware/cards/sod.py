"""EF.SOD (ICAO 9303 part 10/12): parse the CMS SignedData and run passive authentication.

Passive authentication proves the data groups were written by the issuing state:
1. each data group read hashes to the value in the LDS security object;
2. the document signer's signature over the signed attributes verifies, and the
   messageDigest attribute is the hash of the LDS security object;
3. optionally, the document signer certificate was issued by a trusted CSCA certificate
   (configured by the venue; without a CSCA list this step is reported as not configured).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.cards import tlv
from hardware.cards.document import PassiveAuth
from hardware.cards.errors import MalformedCardData

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_RSASSA_PSS = "1.2.840.113549.1.1.10"

HASH_OIDS: dict[str, str] = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_CRYPTO_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class SecurityObject:
    hash_algorithm: str  # hashlib name
    dg_hashes: Mapping[int, bytes]
    econtent: bytes  # DER of the LDS security object (what messageDigest covers)
    signed_attrs: bytes  # DER of the signed attributes re-tagged as SET (what is signed)
    message_digest: bytes
    digest_algorithm: str
    signature_algorithm_oid: str
    signature: bytes
    certificates: tuple[bytes, ...]


@dataclass(frozen=True)
class PassiveAuthResult:
    status: PassiveAuth
    mismatched: tuple[int, ...] = ()
    signature_ok: bool | None = None
    csca: str = "not_configured"  # "trusted" | "untrusted" | "not_configured"
    detail: str = ""
    checked: tuple[int, ...] = field(default_factory=tuple)


def _oid_of(item: tlv.Tlv) -> str:
    if item.tag != 0x06:
        raise MalformedCardData(f"expected OID, found tag {item.tag:X}")
    return tlv.der_oid(item.value)


def parse_sod(ef_sod: bytes) -> SecurityObject:
    """Parse EF.SOD's content (with or without its 0x77 wrapper). MalformedCardData if bad."""
    try:
        return _parse_sod(ef_sod)
    except (IndexError, ValueError) as exc:  # a structure with missing or empty parts
        if isinstance(exc, MalformedCardData):
            raise
        raise MalformedCardData(f"EF.SOD structure incomplete: {exc}") from exc


def _parse_sod(ef_sod: bytes) -> SecurityObject:
    outer, _ = tlv.parse_one(ef_sod)
    content_info = tlv.parse_one(outer.value)[0] if outer.tag == 0x77 else outer
    ci = content_info.children()
    if len(ci) < 2 or _oid_of(ci[0]) != OID_SIGNED_DATA or ci[1].tag != 0xA0:
        raise MalformedCardData("EF.SOD is not CMS SignedData")
    signed_data = ci[1].find(0x30).children()
    if len(signed_data) < 4:
        raise MalformedCardData("SignedData has too few fields")
    encap = signed_data[2].children()
    if len(encap) < 2 or _oid_of(encap[0]) != OID_LDS_SECURITY_OBJECT:
        raise MalformedCardData("SignedData does not carry an LDS security object")
    econtent = encap[1].find(0x04).value
    lds = tlv.parse_one(econtent)[0].children()
    if len(lds) < 3:
        raise MalformedCardData("LDS security object has too few fields")
    hash_oid = _oid_of(lds[1].children()[0])
    if hash_oid not in HASH_OIDS:
        raise MalformedCardData(f"unsupported hash algorithm {hash_oid}")
    dg_hashes: dict[int, bytes] = {}
    for entry in lds[2].children():
        parts = entry.children()
        if len(parts) != 2 or parts[0].tag != 0x02 or parts[1].tag != 0x04:
            raise MalformedCardData("malformed data group hash entry")
        dg_hashes[tlv.der_int(parts[0].value)] = parts[1].value
    certificates = tuple(
        c.raw for item in signed_data[3:] if item.tag == 0xA0 for c in item.children()
    )
    signer_sets = [item for item in signed_data[3:] if item.tag == 0x31]
    if not signer_sets or not signer_sets[-1].children():
        raise MalformedCardData("SignedData has no signer")
    signer = signer_sets[-1].children()[0].children()
    attrs = next((s for s in signer if s.tag == 0xA0), None)
    if attrs is None:
        raise MalformedCardData("signer has no signed attributes")
    after = signer[signer.index(attrs) + 1 :]
    before = signer[: signer.index(attrs)]
    if len(after) < 2 or after[1].tag != 0x04 or len(before) < 3:
        raise MalformedCardData("signer info is incomplete")
    digest_oid = _oid_of(before[2].children()[0])
    message_digest = b""
    for attr in attrs.children():
        kids = attr.children()
        if len(kids) == 2 and _oid_of(kids[0]) == OID_MESSAGE_DIGEST:
            message_digest = kids[1].find(0x04).value
    return SecurityObject(
        hash_algorithm=HASH_OIDS[hash_oid],
        dg_hashes=dg_hashes,
        econtent=econtent,
        signed_attrs=b"\x31" + attrs.raw[1:],
        message_digest=message_digest,
        digest_algorithm=HASH_OIDS.get(digest_oid, ""),
        signature_algorithm_oid=_oid_of(after[0].children()[0]),
        signature=after[1].value,
        certificates=certificates,
    )


def _verify_signature(so: SecurityObject, cert: x509.Certificate) -> bool:
    if so.digest_algorithm not in _CRYPTO_HASH:
        return False
    algorithm = _CRYPTO_HASH[so.digest_algorithm]()
    try:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO)
                if so.signature_algorithm_oid == OID_RSASSA_PSS
                else padding.PKCS1v15()
            )
            key.verify(so.signature, so.signed_attrs, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(so.signature, so.signed_attrs, ec.ECDSA(algorithm))
        else:
            return False
    except Exception:  # forged, damaged or exotic: cryptography has no common base class
        return False
    return True


def passive_authentication(
    ef_sod: bytes | None,
    data_groups: Mapping[int, bytes],
    csca_certificates: Sequence[x509.Certificate] = (),
) -> PassiveAuthResult:
    """Check `data_groups` (number -> file bytes as read) against EF.SOD. Never raises."""
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
    checked = tuple(sorted(data_groups))
    digest_ok = bool(so.digest_algorithm) and (
        hashlib.new(so.digest_algorithm, so.econtent).digest() == so.message_digest
    )
    cert: x509.Certificate | None = None
    signature_ok = False
    if so.certificates:
        try:
            with warnings.catch_warnings():  # odd but parseable certificates: judged below
                warnings.simplefilter("ignore")
                cert = x509.load_der_x509_certificate(so.certificates[0])
            signature_ok = digest_ok and _verify_signature(so, cert)
        except Exception:  # cryptography raises several unrelated types for a bad certificate
            cert, signature_ok = None, False
    csca = "not_configured"
    if csca_certificates and cert is not None:
        csca = "untrusted"
        for anchor in csca_certificates:
            try:
                cert.verify_directly_issued_by(anchor)
                csca = "trusted"
                break
            except Exception:  # not this anchor (wrong issuer, bad signature, exotic key)
                continue
    elif csca_certificates:
        csca = "untrusted"
    problems = []
    if mismatched:
        problems.append("hash mismatch in DG" + ",".join(str(n) for n in mismatched))
    if not signature_ok:
        problems.append("document signer signature does not verify")
    if csca == "untrusted":
        problems.append("document signer not issued by a configured CSCA")
    status = PassiveAuth.FAILED if problems else PassiveAuth.PASSED
    return PassiveAuthResult(
        status,
        mismatched=tuple(mismatched),
        signature_ok=signature_ok,
        csca=csca,
        detail="; ".join(problems) or "data group hashes and signature verified",
        checked=checked,
    )
