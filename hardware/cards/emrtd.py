"""ICAO 9303 eMRTD profile: passports and the national ID cards that follow ICAO 9303.

Reading order: access control (PACE when EF.CardAccess offers it, else BAC after SELECT of
the LDS1 application; `hardware.cards.access`) with the first key the chip accepts, then the
files under secure messaging (see `read_document`); passive, active and chip
authentication are run on what was read and reported on the document as `checks`, in
words, never silently dropped.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from PIL import Image

from hardware.cards import access, apdu, tlv
from hardware.cards.aa import active_authentication
from hardware.cards.apdu import Transport
from hardware.cards.ca import chip_authentication
from hardware.cards.checks import passive_check
from hardware.cards.csca import TrustStore
from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod
from hardware.cards.errors import MalformedCardData
from hardware.cards.files import ReaderCaps, read_file
from hardware.cards.mrz import AccessKey, mrz_date, parse_mrz
from hardware.cards.sod import parse_sod, passive_authentication

AID = access.AID
EF_COM, EF_SOD = b"\x01\x1e", b"\x01\x1d"
DG_FIDS = {1: b"\x01\x01", 2: b"\x01\x02", 12: b"\x01\x0c", 14: b"\x01\x0e", 15: b"\x01\x0f"}


def probe(transport: Transport) -> bool:
    """True when the card carries the eMRTD application (answers SELECT by AID)."""
    return transport.transmit(apdu.select_aid(AID)).ok


@dataclass(frozen=True)
class FaceImage:
    data: bytes
    kind: str  # "jpeg" | "jpeg2000"


def face_image(dg2: bytes) -> FaceImage:
    """The first face image in DG2 (ISO/IEC 19794-5 record inside the biometric template)."""
    for item in tlv.walk(dg2):
        if item.tag == 0x5F2E:
            return _iso19794_5(item.value)
        if item.tag == 0x7F2E:  # ISO 39794-5 (newer chips): locate the image by its signature
            return _by_signature(item.value)
    raise MalformedCardData("DG2 has no biometric data block")


def _iso19794_5(block: bytes) -> FaceImage:
    if len(block) < 14 or block[:4] != b"FAC\x00":
        raise MalformedCardData("DG2 biometric block is not an ISO 19794-5 face record")
    pos = 14
    if pos + 20 > len(block):
        raise MalformedCardData("face record header truncated")
    record_len = int.from_bytes(block[pos : pos + 4], "big")
    points = int.from_bytes(block[pos + 4 : pos + 6], "big")
    image_info = pos + 20 + 8 * points
    image_start = image_info + 12
    image_end = pos + record_len
    if image_start > len(block) or image_end > len(block) or image_end <= image_start:
        raise MalformedCardData("face record lengths do not fit the data")
    kind = {0: "jpeg", 1: "jpeg2000"}.get(block[image_info + 1])
    if kind is None:
        raise MalformedCardData(f"face image data type {block[image_info + 1]} unknown")
    return FaceImage(block[image_start:image_end], kind)


def _by_signature(block: bytes) -> FaceImage:
    for magic, kind in (
        (b"\xff\xd8\xff", "jpeg"),
        (b"\x00\x00\x00\x0cjP  ", "jpeg2000"),
        (b"\xff\x4f\xff\x51", "jpeg2000"),
    ):
        at = block.find(magic)
        if at >= 0:
            return FaceImage(block[at:], kind)
    raise MalformedCardData("no JPEG or JPEG 2000 image in DG2")


def to_jpeg(image: FaceImage) -> bytes:
    """A JPEG the face check can decode (JPEG 2000 is transcoded; JPEG kept as is)."""
    try:
        with Image.open(io.BytesIO(image.data)) as img:
            img.load()
            if image.kind == "jpeg" and img.format == "JPEG":
                return image.data
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=95)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MalformedCardData(f"DG2 image does not decode: {exc}") from exc


def read_document(
    transport: Transport,
    keys: Sequence[AccessKey],
    *,
    card_uid: str | None = None,
    csca: TrustStore | Sequence[x509.Certificate] = (),
    caps: ReaderCaps | None = None,
    card_access: bytes | None = None,
) -> IdentityDocument:
    """Read an eMRTD: one whose EF.CardAccess (already read) offers PACE, or one whose
    application answered SELECT (see `probe`).

    Order: access control (PACE, else BAC), EF.COM, DG1, EF.SOD, then the groups EF.SOD
    lists that the door uses (DG2 face, DG12 issue date, DG14 and DG15 chip keys); passive
    authentication over everything read, then active and chip authentication.
    """
    info = access.pace_info(card_access)
    if info is not None:  # EF.CardAccess is selected: an extended READ BINARY of it probes
        probe = apdu.read_binary(0, 4, extended=True)
    else:
        probe = apdu.command(0x00, 0xA4, 0x04, 0x0C, AID, extended=True)
    extended = access.probe_extended(transport, caps, probe)
    sm, method = access.open_chip(transport, keys, info)
    ef_com = read_file(sm, EF_COM, extended=extended)
    dg1 = read_file(sm, DG_FIDS[1], extended=extended)
    if dg1 is None:
        raise MalformedCardData("chip has no DG1")
    ef_sod = read_file(sm, EF_SOD, extended=extended)
    try:
        listed = set(parse_sod(ef_sod).dg_hashes) if ef_sod is not None else set(DG_FIDS)
    except MalformedCardData:
        listed = set(DG_FIDS)  # passive authentication will report the broken EF.SOD
    groups = {1: dg1}
    for number in (2, 12, 14, 15):
        if number in listed:
            content = read_file(sm, DG_FIDS[number], extended=extended)
            if content is not None:
                groups[number] = content
    mrz_obj = tlv.parse_one(dg1)[0]
    if mrz_obj.tag != 0x61:
        raise MalformedCardData(f"DG1 tag {mrz_obj.tag:X}")
    mrz = parse_mrz(mrz_obj.find(0x5F1F).value.decode("ascii", "replace"))
    dg2 = groups.get(2)
    photo, photo_kind = None, ""
    if dg2 is not None:
        image = face_image(dg2)
        photo, photo_kind = to_jpeg(image), image.kind
    pa = passive_authentication(ef_sod, groups, csca)
    active = active_authentication(sm, groups.get(15), groups.get(14))
    chip, sm = chip_authentication(sm, groups.get(14))
    doc_type = DocumentType.PASSPORT if mrz.document_code.startswith("P") else DocumentType.EMRTD_ID
    raw = {f"dg{n}": groups[n].hex() for n in (1, 12, 14, 15) if n in groups}
    if ef_com is not None:
        raw["ef_com"] = ef_com.hex()
    if ef_sod is not None:
        raw["ef_sod"] = ef_sod.hex()
    if dg2 is not None:
        raw["dg2_sha256"] = hashlib.sha256(dg2).hexdigest()
    return IdentityDocument(
        doc_type=doc_type,
        number=mrz.document_number,
        name=" ".join(p for p in (mrz.surname, mrz.given_names) if p),
        reading_method=(
            ReadingMethod.PCSC_EMRTD_PACE if method == "pace" else ReadingMethod.PCSC_EMRTD_BAC
        ),
        sex=mrz.sex,
        birth_date=mrz_date(mrz.birth_yymmdd, future=False),
        nationality=mrz.nationality,
        valid_until=mrz_date(mrz.expiry_yymmdd, future=True),
        photo=photo,
        card_uid=card_uid,
        passive_auth=pa.status,
        checks=(passive_check(pa), active, chip),
        extra={
            "issuer": mrz.issuer,
            "document_code": mrz.document_code,
            "surname": mrz.surname,
            "given_names": mrz.given_names,
            "mrz_check_digits": "ok" if mrz.check_digits_ok else "bad",
            "passive_auth_detail": pa.detail,
            "csca": pa.csca,
            "active_auth": active.result.value,
            "chip_auth": chip.result.value,
            "access_control": method.upper(),
            "photo_format": photo_kind,
        },
        raw=raw,
    )
