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
from cryptography.hazmat.primitives.asymmetric import ec
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


def make_pki(country: str = "UTO") -> DemoPki:
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
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(csca_key, hashes.SHA256())
    )
    return DemoPki(csca, ds_key, ds)


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


def build_sod(groups: dict[int, bytes], pki: DemoPki) -> bytes:
    sha256 = tlv.seq(tlv.encode_oid("2.16.840.1.101.3.4.2.1"))
    lds = tlv.seq(
        tlv.encode_int(0),
        sha256,
        tlv.seq(*[
            tlv.seq(tlv.encode_int(n), tlv.encode(0x04, hashlib.sha256(c).digest()))
            for n, c in sorted(groups.items())
        ]),
    )  # fmt: skip
    attrs_body = tlv.seq(
        tlv.encode_oid("1.2.840.113549.1.9.3"), tlv.set_of(tlv.encode_oid("2.23.136.1.1.1"))
    ) + tlv.seq(
        tlv.encode_oid("1.2.840.113549.1.9.4"),
        tlv.set_of(tlv.encode(0x04, hashlib.sha256(lds).digest())),
    )
    signature = pki.ds_key.sign(tlv.encode(0x31, attrs_body), ec.ECDSA(hashes.SHA256()))
    issuer = pki.ds_cert.issuer.public_bytes()
    signer = tlv.seq(
        tlv.encode_int(1),
        tlv.seq(issuer, tlv.encode_int(pki.ds_cert.serial_number)),
        sha256,
        tlv.encode(0xA0, attrs_body),
        tlv.seq(tlv.encode_oid("1.2.840.10045.4.3.2")),
        tlv.encode(0x04, signature),
    )
    signed_data = tlv.seq(
        tlv.encode_int(3),
        tlv.set_of(sha256),
        tlv.seq(tlv.encode_oid("2.23.136.1.1.1"), tlv.encode(0xA0, tlv.encode(0x04, lds))),
        tlv.encode(0xA0, pki.ds_cert.public_bytes(serialization.Encoding.DER)),
        tlv.set_of(signer),
    )
    content_info = tlv.seq(tlv.encode_oid("1.2.840.113549.1.7.2"), tlv.encode(0xA0, signed_data))
    return tlv.encode(0x77, content_info)


@dataclass
class Passport:
    """The files of one eMRTD plus the MRZ data that opens it."""

    files: dict[bytes, bytes]
    key: BacKey
    mrz: str
    photo: bytes
    uid: bytes = field(default_factory=lambda: b"\x08" + os.urandom(3))


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
) -> Passport:
    mrz = td3_mrz(surname, given, number, nationality, birth, sex, expiry, issuer)
    dg1 = tlv.encode(0x61, tlv.encode(0x5F1F, mrz.encode("ascii")))
    image = chip_photo(photo, photo_bytes, jpeg2000, photo_box)
    dg2 = dg2_for(image, jpeg2000)
    com = tlv.encode(
        0x60,
        tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000") + tlv.encode(0x5C, b"\x61\x75"),
    )
    files = {FID_COM: com, FID_DG1: dg1, FID_DG2: dg2, FID_SOD: build_sod({1: dg1, 2: dg2}, pki)}
    return Passport(files, BacKey(number, birth, expiry), mrz, image)
