"""Issuing an emulated eMRTD: the files and keys an issuing state would put on the chip.

`issue_passport(...)` builds EF.COM, DG1, DG2 (and DG14/DG15 for chips that prove their
keys) the way an issuing state would: a test CSCA signs a document signer certificate,
which signs EF.SOD. `hardware.sim.emrtd_card.EmrtdCard` answers APDUs like the chip.
Everything personal in here is test data. Used by the tests, the benchmark and the demo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from PIL import Image

from hardware.cards import tlv
from hardware.cards.mrz import BacKey, check_digit

FID_COM, FID_DG1, FID_DG2, FID_SOD = b"\x01\x1e", b"\x01\x01", b"\x01\x02", b"\x01\x1d"


@dataclass(frozen=True)
class DemoPki:
    """A CSCA and one document signer, generated per run (never real keys)."""

    csca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate
    csca_key: ec.EllipticCurvePrivateKey


def make_pki(country: str = "UTO", ds_from: dt.datetime | None = None) -> DemoPki:
    """A CSCA and document signer; `ds_from` sets when the signer's 10 years begin."""
    now = dt.datetime.now(dt.UTC)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Test CSCA {country}")])
    csca = (
        x509.CertificateBuilder()
        .subject_name(csca_name)
        .issuer_name(csca_name)
        .public_key(csca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(csca_key, hashes.SHA256())
    )
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Test DS {country}")]))
        .issuer_name(csca_name)
        .public_key(ds_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ds_from or now - dt.timedelta(days=1))
        .not_valid_after((ds_from or now) + dt.timedelta(days=3650))
        .sign(csca_key, hashes.SHA256())
    )
    return DemoPki(csca, ds_key, ds, csca_key)


def td3_mrz(
    surname: str, given: str, number: str, nationality: str, birth: str, sex: str, expiry: str,
    issuer: str = "UTO",
) -> str:  # fmt: skip
    """An 88-character passport MRZ (dates YYMMDD) with correct check digits."""
    names = f"{surname.upper().replace(' ', '<')}<<{given.upper().replace(' ', '<')}"
    line1 = f"P<{issuer}{names}".ljust(44, "<")[:44]
    doc = number.ljust(9, "<")
    optional = "<" * 14
    body = f"{doc}{check_digit(doc)}{nationality}{birth}{check_digit(birth)}{sex}{expiry}{check_digit(expiry)}{optional}{check_digit(optional)}"
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1 + body + check_digit(composite)


def td1_mrz(
    surname: str, given: str, number: str, nationality: str, birth: str, sex: str, expiry: str,
    issuer: str = "UTO",
) -> str:  # fmt: skip
    """A 90-character ID card MRZ (TD1, three lines of 30) with correct check digits."""
    doc = number.ljust(9, "<")
    line1 = f"I<{issuer}{doc}{check_digit(doc)}".ljust(30, "<")
    line2 = f"{birth}{check_digit(birth)}{sex}{expiry}{check_digit(expiry)}{nationality}".ljust(
        29, "<"
    )
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    names = f"{surname.upper().replace(' ', '<')}<<{given.upper().replace(' ', '<')}"
    return line1 + line2 + check_digit(composite) + names.ljust(30, "<")[:30]


def chip_photo(
    source: bytes | None,
    max_bytes: int = 20_000,
    jpeg2000: bool = False,
    box: tuple[int, int] = (360, 480),
) -> bytes:
    """A passport-sized face image (JPEG or JPEG 2000) under `max_bytes`."""
    if source is None:
        img = Image.new("RGB", (240, 320), (200, 180, 160))
    else:
        with Image.open(io.BytesIO(source)) as src:
            img = src.convert("RGB")
        img.thumbnail(box)
    for quality in range(95, 9, -3):  # the best quality that fits, like an issuer would
        out = io.BytesIO()
        if jpeg2000:
            img.save(out, "JPEG2000", quality_mode="rates", quality_layers=[100 - quality])
        else:
            img.save(out, "JPEG", quality=quality)
        if out.tell() <= max_bytes:
            return out.getvalue()
    raise ValueError("cannot fit the photo into the requested size")


def _iso19794_5(image: bytes, jpeg2000: bool) -> bytes:
    facial = (
        (20 + 12 + len(image)).to_bytes(4, "big")
        + b"\x00\x00"  # feature points
        + b"\x00\x00\x00" + b"\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00" + b"\x00\x00\x00"
        + bytes([1, 1 if jpeg2000 else 0]) + (240).to_bytes(2, "big") + (320).to_bytes(2, "big")
        + b"\x01\x02\x00\x00\x00\x00"
        + image
    )  # fmt: skip
    return b"FAC\x00010\x00" + (14 + len(facial)).to_bytes(4, "big") + b"\x00\x01" + facial


def dg2_for(image: bytes, jpeg2000: bool = False) -> bytes:
    header = tlv.encode(0xA1, tlv.encode(0x80, b"\x01\x01") + tlv.encode(0x87, b"\x01\x01"))
    bit = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, _iso19794_5(image, jpeg2000)))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))


def signed_data(content_type: str, econtent: bytes, key: ec.EllipticCurvePrivateKey,
                cert: x509.Certificate, others: tuple[x509.Certificate, ...] = ()) -> bytes:  # fmt: skip
    """CMS SignedData (ContentInfo) over `econtent`, one ECDSA-SHA256 signer, as ICAO uses;
    `others` are extra certificates listed before the signer's (some issuers add the CSCA)."""
    sha256 = tlv.seq(tlv.encode_oid("2.16.840.1.101.3.4.2.1"))
    attrs_body = tlv.seq(
        tlv.encode_oid("1.2.840.113549.1.9.3"), tlv.set_of(tlv.encode_oid(content_type))
    ) + tlv.seq(
        tlv.encode_oid("1.2.840.113549.1.9.4"),
        tlv.set_of(tlv.encode(0x04, hashlib.sha256(econtent).digest())),
    )
    signature = key.sign(tlv.encode(0x31, attrs_body), ec.ECDSA(hashes.SHA256()))
    signer = tlv.seq(
        tlv.encode_int(1),
        tlv.seq(cert.issuer.public_bytes(), tlv.encode_int(cert.serial_number)),
        sha256,
        tlv.encode(0xA0, attrs_body),
        tlv.seq(tlv.encode_oid("1.2.840.10045.4.3.2")),
        tlv.encode(0x04, signature),
    )
    body = tlv.seq(
        tlv.encode_int(3),
        tlv.set_of(sha256),
        tlv.seq(tlv.encode_oid(content_type), tlv.encode(0xA0, tlv.encode(0x04, econtent))),
        tlv.encode(
            0xA0, b"".join(c.public_bytes(serialization.Encoding.DER) for c in (*others, cert))
        ),
        tlv.set_of(signer),
    )
    return tlv.seq(tlv.encode_oid("1.2.840.113549.1.7.2"), tlv.encode(0xA0, body))


def build_sod(
    groups: dict[int, bytes], pki: DemoPki, others: tuple[x509.Certificate, ...] = ()
) -> bytes:
    lds = tlv.seq(
        tlv.encode_int(0),
        tlv.seq(tlv.encode_oid("2.16.840.1.101.3.4.2.1")),
        tlv.seq(*[
            tlv.seq(tlv.encode_int(n), tlv.encode(0x04, hashlib.sha256(c).digest()))
            for n, c in sorted(groups.items())
        ]),
    )  # fmt: skip
    return tlv.encode(0x77, signed_data("2.23.136.1.1.1", lds, pki.ds_key, pki.ds_cert, others))


def master_list(cscas: list[x509.Certificate], signer: DemoPki) -> bytes:
    """A CSCA master list (ICAO 9303-12) signed by a master list signer that `signer`'s
    CSCA certified (the signer PKI's document-signer key stands in for it)."""
    certs = [c.public_bytes(serialization.Encoding.DER) for c in cscas]
    content = tlv.seq(tlv.encode_int(0), tlv.set_of(*certs))
    return signed_data("2.23.136.1.1.2", content, signer.ds_key, signer.ds_cert)


def revocation_list(pki: DemoPki, revoked: list[int]) -> x509.CertificateRevocationList:
    """A CRL from `pki`'s CSCA revoking the given certificate serial numbers."""
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.csca_cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=30))
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(pki.csca_key, hashes.SHA256())


FID_DG12, FID_DG14, FID_DG15 = b"\x01\x0c", b"\x01\x0e", b"\x01\x0f"
FID_CARD_ACCESS = b"\x01\x1c"
_TAGS = {1: 0x61, 2: 0x75, 12: 0x6C, 14: 0x6E, 15: 0x6F}
_FIDS = {1: FID_DG1, 2: FID_DG2, 12: FID_DG12, 14: FID_DG14, 15: FID_DG15}
_EC_CURVES: dict[str, ec.EllipticCurve] = {
    "NIST256p": ec.SECP256R1(),
    "NIST384p": ec.SECP384R1(),
    "BRAINPOOLP256r1": ec.BrainpoolP256R1(),
    "BRAINPOOLP384r1": ec.BrainpoolP384R1(),
    "BRAINPOOLP512r1": ec.BrainpoolP512R1(),
}
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"


@dataclass
class Passport:
    """The files of one eMRTD, the MRZ data (and CAN) that open it, and its chip keys."""

    files: dict[bytes, bytes]
    key: BacKey
    mrz: str
    photo: bytes
    uid: bytes = field(default_factory=lambda: b"\x08" + os.urandom(3))
    aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
    ca_key: ec.EllipticCurvePrivateKey | None = None
    ca_curve: str = "NIST256p"  # ecdsa's name of the CA key's curve
    ca_cipher: str = "AES-128"
    can: str = "123456"
    pace: tuple[str, int] | None = None  # (PACEInfo OID, standardized parameter id)
    bac: bool = True  # False: a PACE-only chip

    @property
    def card_access(self) -> bytes | None:
        return self.files.get(FID_CARD_ACCESS)


def _spki(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def issue_passport(
    *,
    pki: DemoPki,
    number: str = "E12345678",
    surname: str = "ZHANG",
    given: str = "WEI",
    nationality: str = "CHN",
    birth: str = "900115",
    sex: str = "M",
    expiry: str = "340101",
    photo: bytes | None = None,
    jpeg2000: bool = False,
    photo_bytes: int = 20_000,
    photo_box: tuple[int, int] = (360, 480),
    issuer: str = "CHN",
    aa: str | None = None,
    ca: str | None = None,
    ca_cipher: str = "AES-128",
    issued: str | None = None,
    pace: tuple[str, int] | None = None,
    bac: bool = True,
    can: str = "123456",
    layout: str = "td3",
) -> Passport:
    """A chip as an issuing state would write it. `aa`: "rsa" or "ec" (DG15; ECDSA also
    names its hash in DG14); `ca`: a curve name (DG14 chip authentication key); `issued`:
    YYYYMMDD in DG12; `pace`: (PACEInfo OID, parameter id) in EF.CardAccess; `bac=False`
    makes a PACE-only chip; `layout="td1"` issues an ID card (90-character MRZ in DG1)."""
    make_mrz = td1_mrz if layout == "td1" else td3_mrz
    mrz = make_mrz(surname, given, number, nationality, birth, sex, expiry, issuer)
    groups = {1: tlv.encode(0x61, tlv.encode(0x5F1F, mrz.encode("ascii")))}
    image = chip_photo(photo, photo_bytes, jpeg2000, photo_box)
    groups[2] = dg2_for(image, jpeg2000)
    if issued is not None:
        groups[12] = tlv.encode(
            0x6C, tlv.encode(0x5C, b"\x5f\x26") + tlv.encode(0x5F26, issued.encode())
        )
    aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
    infos: list[bytes] = []
    if aa == "rsa":
        aa_key = rsa.generate_private_key(65537, 1024)
    elif aa == "ec":
        aa_key = ec.generate_private_key(ec.SECP256R1())
        infos.append(
            tlv.seq(
                tlv.encode_oid("2.23.136.1.1.5"),
                tlv.encode_int(1),
                tlv.encode_oid(OID_ECDSA_SHA256),
            )
        )
    if aa_key is not None:
        groups[15] = tlv.encode(0x6F, _spki(aa_key))
    ca_key = None
    if ca is not None:
        ca_key = ec.generate_private_key(_EC_CURVES[ca])
        cipher_no = {"3DES": 1, "AES-128": 2, "AES-192": 3, "AES-256": 4}[ca_cipher]
        infos.append(tlv.seq(tlv.encode_oid("0.4.0.127.0.7.2.2.1.2"), _spki(ca_key)))
        infos.append(
            tlv.seq(tlv.encode_oid(f"0.4.0.127.0.7.2.2.3.2.{cipher_no}"), tlv.encode_int(1))
        )
    if infos:
        groups[14] = tlv.encode(0x6E, tlv.set_of(*infos))
    tags = bytes(_TAGS[n] for n in sorted(groups))
    com = tlv.encode(
        0x60,
        tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000") + tlv.encode(0x5C, tags),
    )
    files = {FID_COM: com} | {_FIDS[n]: content for n, content in groups.items()}
    files[FID_SOD] = build_sod(groups, pki)
    if pace is not None:
        files[FID_CARD_ACCESS] = tlv.set_of(
            tlv.seq(tlv.encode_oid(pace[0]), tlv.encode_int(2), tlv.encode_int(pace[1]))
        )
    return Passport(
        files,
        BacKey(number, birth, expiry),
        mrz,
        image,
        aa_key=aa_key,
        ca_key=ca_key,
        ca_curve=ca or "NIST256p",
        ca_cipher=ca_cipher,
        can=can,
        pace=pace,
        bac=bac,
    )
