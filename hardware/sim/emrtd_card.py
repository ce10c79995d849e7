"""An emulated ICAO 9303 eMRTD chip: BAC, secure messaging, EF.COM, DG1, DG2, EF.SOD.

`issue_passport(...)` builds the files the way an issuing state would (a test CSCA signs a
document signer certificate, which signs EF.SOD); `EmrtdCard` answers APDUs like the chip.
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

from hardware.cards import bac, tlv
from hardware.cards.mrz import BacKey, check_digit
from hardware.sim.iso7816_card import SW_INS, FileCard

AID = bytes.fromhex("A0000002471001")
EMRTD_ATR = bytes.fromhex("3B8880014A434F503331560071")  # contactless, PC/SC part 3 style
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


class EmrtdCard(FileCard):
    """Answers like an eMRTD chip: nothing but the application's SELECT before BAC."""

    def __init__(self, passport: Passport, atr: bytes = EMRTD_ATR) -> None:
        super().__init__(atr, aid=AID, files=passport.files, uid=passport.uid)
        self.passport = passport
        seed = bac.seed_from_mrz(passport.key)
        self._k_enc, self._k_mac = bac.kdf(seed, 1), bac.kdf(seed, 2)
        self.failed_auth = 0
        self.power(True)

    def power(self, on: bool) -> None:
        super().power(on)
        self._rnd_ic: bytes | None = None
        self._session: tuple[bytes, bytes] | None = None
        self._ssc = 0

    def handle(self, command: bytes) -> bytes:
        cla, ins = command[0], command[1]
        if cla == 0xFF:
            return super().handle(command)
        if cla & 0x0C == 0x0C:
            return self._secure(command)
        if ins == 0x84:
            self._rnd_ic = os.urandom(8)
            return self._rnd_ic + b"\x90\x00"
        if ins == 0x82:
            return self._mutual_auth(command[5:45])
        if ins == 0xA4 and command[2] == 0x04:
            return super().handle(command)
        if ins in (0xA4, 0xB0):
            return b"\x69\x82"  # security status not satisfied: BAC first
        return SW_INS

    def _mutual_auth(self, data: bytes) -> bytes:
        if self._rnd_ic is None or len(data) != 40:
            return b"\x69\x85"
        e_ifd, m_ifd = data[:32], data[32:]
        if bac.retail_mac(self._k_mac, bac.pad(e_ifd)) != m_ifd:
            self.failed_auth += 1
            return b"\x63\x00"
        plain = bac.des3_decrypt(self._k_enc, e_ifd)
        rnd_ifd, rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if rnd_ic != self._rnd_ic:
            return b"\x63\x00"
        k_ic = os.urandom(16)
        e_ic = bac.des3_encrypt(self._k_enc, self._rnd_ic + rnd_ifd + k_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        self._session = (bac.kdf(seed, 1), bac.kdf(seed, 2))
        self._ssc = int.from_bytes(self._rnd_ic[4:] + rnd_ifd[4:], "big")
        return e_ic + bac.retail_mac(self._k_mac, bac.pad(e_ic)) + b"\x90\x00"

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << 64)
        return self._ssc.to_bytes(8, "big")

    def _secure(self, command: bytes) -> bytes:
        if self._session is None:
            return b"\x69\x82"
        ks_enc, ks_mac = self._session
        try:
            objects = {o.tag: o for o in tlv.parse_all(command[5 : 5 + command[4]])}
        except Exception:
            self._session = None
            return b"\x69\x88"
        do87 = objects[0x87].raw if 0x87 in objects else b""
        do97 = objects[0x97].raw if 0x97 in objects else b""
        header = bytes([command[0], command[1], command[2], command[3]])
        mac_in = bac.pad(self._next_ssc() + bac.pad(header) + do87 + do97)
        if 0x8E not in objects or bac.retail_mac(ks_mac, mac_in) != objects[0x8E].value:
            self._session = None  # an SM error ends the session, as on a real chip
            return b"\x69\x88"
        data = bac.unpad(bac.des3_decrypt(ks_enc, objects[0x87].value[1:])) if do87 else b""
        plain = bytes([0x00, command[1], command[2], command[3]])
        if data:
            plain += bytes([len(data)]) + data
        if do97:
            plain += objects[0x97].value
        answer = FileCard.handle(self, plain)
        body, sw = answer[:-2], answer[-2:]
        out = b""
        if body:
            out += tlv.encode(0x87, b"\x01" + bac.des3_encrypt(ks_enc, bac.pad(body)))
        out += tlv.encode(0x99, sw)
        mac = bac.retail_mac(ks_mac, bac.pad(self._next_ssc() + out))
        return out + tlv.encode(0x8E, mac) + sw
