"""CMS SignedData (RFC 5652) as ICAO 9303 uses it: EF.SOD and CSCA master lists.

`parse_signed_data` takes the structure apart with the strict TLV parser (bounded, never
out of range) and `verify_signer` checks the one signer's signature over its signed
attributes and that the messageDigest attribute is the hash of the content. Nothing here
decides trust: callers judge the signer's certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.cards import tlv
from hardware.cards.errors import MalformedCardData

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_RSASSA_PSS = "1.2.840.113549.1.1.10"

HASH_OIDS: dict[str, str] = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
CRYPTO_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class SignedContent:
    content_type: str
    econtent: bytes  # what messageDigest covers
    signed_attrs: bytes  # DER of the signed attributes re-tagged as SET (what is signed)
    message_digest: bytes
    signing_time: dt.datetime | None
    digest_algorithm: str  # hashlib name, "" if unknown
    signature_algorithm_oid: str
    signature: bytes
    certificates: tuple[bytes, ...]


def oid_of(item: tlv.Tlv) -> str:
    if item.tag != 0x06:
        raise MalformedCardData(f"expected OID, found tag {item.tag:X}")
    return tlv.der_oid(item.value)


def parse_signed_data(data: bytes) -> SignedContent:
    """A ContentInfo holding SignedData (optionally inside EF.SOD's 0x77 wrapper)."""
    try:
        return _parse(data)
    except MalformedCardData:
        raise
    except (IndexError, ValueError) as exc:  # a structure with missing or empty parts
        raise MalformedCardData(f"signed data structure incomplete: {exc}") from exc


def _parse(data: bytes) -> SignedContent:
    outer, _ = tlv.parse_one(data)
    content_info = tlv.parse_one(outer.value)[0] if outer.tag == 0x77 else outer
    ci = content_info.children()
    if len(ci) < 2 or oid_of(ci[0]) != OID_SIGNED_DATA or ci[1].tag != 0xA0:
        raise MalformedCardData("not CMS SignedData")
    signed_data = ci[1].find(0x30).children()
    if len(signed_data) < 4:
        raise MalformedCardData("SignedData has too few fields")
    encap = signed_data[2].children()
    if len(encap) < 2:
        raise MalformedCardData("SignedData carries no content")
    content_type = oid_of(encap[0])
    econtent = encap[1].find(0x04).value
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
    digest_oid = oid_of(before[2].children()[0])
    message_digest, signing_time = b"", None
    for attr in attrs.children():
        kids = attr.children()
        if len(kids) != 2:
            continue
        kind = oid_of(kids[0])
        if kind == OID_MESSAGE_DIGEST:
            message_digest = kids[1].find(0x04).value
        elif kind == OID_SIGNING_TIME:
            signing_time = _time(kids[1].children()[0])
    return SignedContent(
        content_type=content_type,
        econtent=econtent,
        signed_attrs=b"\x31" + attrs.raw[1:],
        message_digest=message_digest,
        signing_time=signing_time,
        digest_algorithm=HASH_OIDS.get(digest_oid, ""),
        signature_algorithm_oid=oid_of(after[0].children()[0]),
        signature=after[1].value,
        certificates=certificates,
    )


def _time(item: tlv.Tlv) -> dt.datetime | None:
    text = item.value.decode("ascii", "replace").rstrip("Z")
    formats = {0x17: "%y%m%d%H%M%S", 0x18: "%Y%m%d%H%M%S"}
    if item.tag not in formats:
        return None
    try:
        return dt.datetime.strptime(text, formats[item.tag]).replace(tzinfo=dt.UTC)
    except ValueError:
        return None  # an odd time format is not worth refusing the document over


def load_certificate(der: bytes) -> x509.Certificate | None:
    """A certificate from DER, or None when it does not parse."""
    try:
        with warnings.catch_warnings():  # odd but parseable certificates: judged by callers
            warnings.simplefilter("ignore")
            return x509.load_der_x509_certificate(der)
    except Exception:  # cryptography raises several unrelated types for a bad certificate
        return None


def verify_signer(content: SignedContent, cert: x509.Certificate) -> bool:
    """The messageDigest matches the content and `cert`'s key signed the attributes."""
    if content.digest_algorithm not in CRYPTO_HASH:
        return False
    digest = hashlib.new(content.digest_algorithm, content.econtent).digest()
    if digest != content.message_digest:
        return False
    algorithm = CRYPTO_HASH[content.digest_algorithm]()
    try:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO)
                if content.signature_algorithm_oid == OID_RSASSA_PSS
                else padding.PKCS1v15()
            )
            key.verify(content.signature, content.signed_attrs, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(content.signature, content.signed_attrs, ec.ECDSA(algorithm))
        else:
            return False
    except Exception:  # forged, damaged or exotic: cryptography has no common base class
        return False
    return True
