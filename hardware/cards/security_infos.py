"""SecurityInfos (ICAO 9303-11 section 9.2): what a chip announces in EF.CardAccess (PACE)
and DG14 (chip authentication, active authentication's signature algorithm).

Only the protocols this station runs are named here; any other entry is kept as an
unknown `SecurityInfo` and ignored by the callers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.cards import cms, tlv
from hardware.cards.errors import MalformedCardData

BSI = "0.4.0.127.0.7.2.2"
_CIPHERS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
_PACE_MAPPINGS = {1: "DH-GM", 2: "ECDH-GM", 3: "DH-IM", 4: "ECDH-IM", 6: "ECDH-CAM"}
PACE_OIDS = {
    f"{BSI}.4.{m}.{c}": (mapping, cipher)
    for m, mapping in _PACE_MAPPINGS.items()
    for c, cipher in _CIPHERS.items()
}
CA_OIDS = {
    f"{BSI}.3.{a}.{c}": (agreement, cipher)
    for a, agreement in ((1, "DH"), (2, "ECDH"))
    for c, cipher in _CIPHERS.items()
}
PK_DH, PK_ECDH = f"{BSI}.1.1", f"{BSI}.1.2"
OID_AA = "2.23.136.1.1.5"

# BSI TR-03110 part 3 / ICAO 9303-11 table 6: standardized domain parameters (ecdsa names)
STANDARD_CURVES = {
    8: "NIST192p",
    9: "BRAINPOOLP192r1",
    10: "NIST224p",
    11: "BRAINPOOLP224r1",
    12: "NIST256p",
    13: "BRAINPOOLP256r1",
    14: "BRAINPOOLP320r1",
    15: "NIST384p",
    16: "BRAINPOOLP384r1",
    17: "BRAINPOOLP512r1",
    18: "NIST521p",
}


@dataclass(frozen=True)
class SecurityInfo:
    oid: str
    parts: tuple[tlv.Tlv, ...]  # requiredData, optionalData...


@dataclass(frozen=True)
class PaceInfo:
    oid: str
    mapping: str
    cipher: str
    version: int
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthInfo:
    oid: str
    agreement: str
    cipher: str
    key_id: int | None


@dataclass(frozen=True)
class ChipAuthKey:
    agreement: str  # "ECDH" | "DH"
    spki: bytes  # SubjectPublicKeyInfo DER
    key_id: int | None


def parse(data: bytes) -> list[SecurityInfo]:
    """Every SecurityInfo in EF.CardAccess (a bare SET) or DG14 (the SET inside tag 6E)."""
    top, _ = tlv.parse_one(data)
    if top.tag == 0x6E:
        top = tlv.parse_one(top.value)[0]
    if top.tag != 0x31:
        raise MalformedCardData(f"SecurityInfos tag {top.tag:X}")
    out = []
    for item in top.children():
        kids = item.children() if item.tag == 0x30 else []
        if len(kids) < 2 or kids[0].tag != 0x06:
            raise MalformedCardData("malformed SecurityInfo")
        out.append(SecurityInfo(cms.oid_of(kids[0]), tuple(kids[1:])))
    return out


def _int(item: tlv.Tlv) -> int:
    if item.tag != 0x02:
        raise MalformedCardData(f"expected INTEGER, found tag {item.tag:X}")
    return tlv.der_int(item.value)


def pace_infos(infos: list[SecurityInfo]) -> list[PaceInfo]:
    out = []
    for info in infos:
        if info.oid in PACE_OIDS:
            mapping, cipher = PACE_OIDS[info.oid]
            param = _int(info.parts[1]) if len(info.parts) > 1 else None
            out.append(PaceInfo(info.oid, mapping, cipher, _int(info.parts[0]), param))
    return out


def chip_auth(infos: list[SecurityInfo]) -> tuple[list[ChipAuthInfo], list[ChipAuthKey]]:
    protocols, keys = [], []
    for info in infos:
        if info.oid in CA_OIDS:
            agreement, cipher = CA_OIDS[info.oid]
            key_id = _int(info.parts[1]) if len(info.parts) > 1 else None
            protocols.append(ChipAuthInfo(info.oid, agreement, cipher, key_id))
        elif info.oid in (PK_DH, PK_ECDH):
            key_id = _int(info.parts[1]) if len(info.parts) > 1 else None
            keys.append(
                ChipAuthKey("ECDH" if info.oid == PK_ECDH else "DH", info.parts[0].raw, key_id)
            )
    return protocols, keys


def aa_signature_oid(infos: list[SecurityInfo]) -> str | None:
    """The ECDSA signature algorithm of active authentication (DG14), if announced."""
    for info in infos:
        if info.oid == OID_AA and len(info.parts) > 1 and info.parts[1].tag == 0x06:
            return cms.oid_of(info.parts[1])
    return None


def encode_pace_info(oid: str, parameter_id: int) -> bytes:
    return tlv.seq(tlv.encode_oid(oid), tlv.encode_int(2), tlv.encode_int(parameter_id))
