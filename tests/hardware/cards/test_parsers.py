"""TLV/DER, MRZ and BAC primitives against ICAO 9303's published worked examples."""

from __future__ import annotations

import pytest

from hardware.cards import bac, tlv
from hardware.cards.document import PassiveAuth
from hardware.cards.emrtd import face_image
from hardware.cards.errors import MalformedCardData
from hardware.cards.mrz import BacKey, check_digit, parse_mrz
from hardware.cards.sod import parse_sod, passive_authentication
from hardware.sim.emrtd_card import DemoPki, dg2_for, issue_passport

# ICAO 9303 part 4 specimen passport (Anna Maria Eriksson)
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


def test_icao_check_digits_and_td3_parse() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    mrz = parse_mrz(SPECIMEN)
    assert mrz.check_digits_ok
    assert (mrz.surname, mrz.given_names, mrz.document_number) == (
        "ERIKSSON",
        "ANNA MARIA",
        "L898902C3",
    )
    assert (mrz.sex, mrz.nationality, mrz.issuer) == ("F", "UTO", "UTO")


def test_bac_keys_match_icao_9303_part_11_worked_example() -> None:
    key = BacKey("L898902C", "690806", "940623")
    assert key.mrz_information() == b"L898902C<369080619406236"
    seed = bac.seed_from_mrz(key)
    assert seed.hex().upper() == "239AB9CB282DAF66231DC5A4DF6BFBAE"
    assert bac.kdf(seed, 1).hex().upper() == "AB94FDECF2674FDFB9B391F85D7F76F2"
    assert bac.kdf(seed, 2).hex().upper() == "7962D9ECE03D1ACD4C76089DCE131543"
    session = bytes.fromhex("0036D272F5C350ACAC50C3F572D23600")
    assert bac.kdf(session, 1).hex().upper() == "979EC13B1CBFE9DCD01AB0FED307EAE5"
    assert bac.kdf(session, 2).hex().upper() == "F1CB1F1FB5ADF208806B89DC579DC1F8"


def test_icao_retail_mac_example() -> None:
    # ICAO 9303-11 appendix D.3: E.IFD and its MAC under K.MAC
    e_ifd = bytes.fromhex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    k_mac = bytes.fromhex("7962D9ECE03D1ACD4C76089DCE131543")
    assert bac.retail_mac(k_mac, bac.pad(e_ifd)).hex().upper() == "5F1448EEA8AD90A7"


def test_bac_key_from_cli_forms() -> None:
    assert BacKey.parse("e1234567, 1990-01-15, 340101") == BacKey("E1234567", "900115", "340101")
    with pytest.raises(ValueError):
        BacKey.parse("E1234567,900115")
    assert "900115" not in repr(BacKey("E1234567", "900115", "340101"))


def test_tlv_round_trip_and_multi_byte_tags() -> None:
    inner = tlv.encode(0x5F1F, b"x" * 300)
    outer = tlv.encode(0x61, inner)
    item, end = tlv.parse_one(outer)
    assert end == len(outer) and item.tag == 0x61 and item.find(0x5F1F).value == b"x" * 300
    assert tlv.expected_total_length(outer[:4]) == len(outer)
    assert tlv.der_oid(tlv.encode_oid("2.23.136.1.1.1")[2:]) == "2.23.136.1.1.1"


@pytest.mark.parametrize(
    "data",
    [
        b"\x61\x05\x5f\x1f\x10abc",  # inner length runs past the outer value
        b"\x61\x82\x01",  # length field truncated
        b"\x61\x80\x00\x00",  # indefinite length
        b"\x5f",  # multi-byte tag truncated
        b"\x61\x85\x00\x00\x00\x00\x01\x00",  # 5-byte length field
    ],
)
def test_malformed_tlv_lengths_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedCardData):
        list(tlv.walk(data))


def test_deeply_nested_tlv_is_refused() -> None:
    data = b"\x00"
    for _ in range(40):
        data = tlv.encode(0x30, data)
    with pytest.raises(MalformedCardData):
        list(tlv.walk(data))


def test_sod_parses_and_detects_each_tampering(pki: DemoPki) -> None:
    passport = issue_passport(pki=pki)
    dg1, dg2 = passport.files[b"\x01\x01"], passport.files[b"\x01\x02"]
    sod = passport.files[b"\x01\x1d"]
    so = parse_sod(sod)
    assert set(so.dg_hashes) == {1, 2} and so.hash_algorithm == "sha256"
    ok = passive_authentication(sod, {1: dg1, 2: dg2}, [pki.csca_cert])
    assert ok.status == PassiveAuth.PASSED and ok.csca == "trusted"
    bad_dg1 = passive_authentication(sod, {1: dg1[:-1] + b"X", 2: dg2})
    assert bad_dg1.status == PassiveAuth.FAILED and bad_dg1.mismatched == (1,)
    flipped = bytearray(sod)
    flipped[-5] ^= 0x01  # inside the signature
    assert passive_authentication(bytes(flipped), {1: dg1}).status == PassiveAuth.FAILED
    assert passive_authentication(None, {1: dg1}).status == PassiveAuth.NOT_CHECKED
    assert passive_authentication(sod[:40], {1: dg1}).status == PassiveAuth.FAILED


def test_dg2_face_record_with_bad_lengths_is_refused() -> None:
    dg2 = dg2_for(b"\xff\xd8\xff\xe0" + bytes(100))
    assert face_image(dg2).kind == "jpeg"
    broken = bytearray(dg2)
    at = broken.find(b"FAC\x00") + 14
    broken[at : at + 4] = (10_000).to_bytes(4, "big")  # record claims more than exists
    with pytest.raises(MalformedCardData):
        face_image(bytes(broken))
