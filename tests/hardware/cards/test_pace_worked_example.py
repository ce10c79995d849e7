"""PACE Generic Mapping (ECDH, brainpoolP256r1, AES-128, MRZ password) against the worked
example published in ICAO Doc 9303 part 11, appendix G.1: every intermediate value and
every command the terminal sends must be the document's."""

from __future__ import annotations

from hardware.cards import ec_math, pace
from hardware.cards.apdu import Response
from hardware.cards.mrz import BacKey
from hardware.cards.security_infos import PaceInfo
from hardware.cards.sm import derive_key

H = bytes.fromhex
OID = "0.4.0.127.0.7.2.2.4.2.2"  # id-PACE-ECDH-GM-AES-CBC-CMAC-128
KEY = BacKey("T22000129", "640812", "101031")
Z = H("95A3A016522EE98D01E76CB6B98B42C3")
NONCE = H("3F00C4D39D153F2B2A214A078D899B22")
MAP_SCALAR = int("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99", 16)
EPH_SCALAR = int("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595", 16)
TERMINAL_MAP = H(
    "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
    "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
)
CHIP_MAP = H(
    "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
    "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
)
SHARED_H = H(
    "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
    "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
)
MAPPED_G = H(
    "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
    "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
)
TERMINAL_EPH = H(
    "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
    "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
)
CHIP_EPH = H(
    "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
    "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
)
SECRET = H("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
KS_ENC, KS_MAC = H("F5F0E35C0D7161EE6724EE513A0D9A7F"), H("FE251C7858B356B24514B3BD5F4297D1")
T_PCD, T_PICC = H("C2B0BD78D94BA866"), H("3ABB9674BCE93C08")
INFO = PaceInfo(OID, "ECDH-GM", "AES-128", 2, 13)


def test_each_computation_matches_the_worked_example() -> None:
    ref, pi = pace.password(KEY)
    assert ref == pace.PASSWORD_MRZ
    assert pi == H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
    k_pi = derive_key(pi, 3, "AES-128")
    assert k_pi == H("89DED1B26624EC1E634C1989302849DD")
    assert pace.decrypt_nonce("AES-128", k_pi, Z) == NONCE
    math = pace.PaceMath.for_info(INFO)
    assert math.public(MAP_SCALAR) == TERMINAL_MAP
    h = ec_math.decode_point(math.curve, CHIP_MAP) * MAP_SCALAR
    assert ec_math.encode_point(math.curve, h) == SHARED_H
    mapped = math.mapped_generator(NONCE, MAP_SCALAR, CHIP_MAP)
    assert ec_math.encode_point(math.curve, mapped) == MAPPED_G
    assert math.public(EPH_SCALAR, mapped) == TERMINAL_EPH
    assert math.shared_secret(EPH_SCALAR, CHIP_EPH) == SECRET
    assert derive_key(SECRET, 1, "AES-128") == KS_ENC
    assert derive_key(SECRET, 2, "AES-128") == KS_MAC
    assert math.token(KS_MAC, CHIP_EPH) == T_PCD
    assert math.token(KS_MAC, TERMINAL_EPH) == T_PICC


class WorkedExampleChip:
    """Answers with the example's chip values and records what the terminal sent."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.answers = [
            b"",
            H("7C128010") + Z,
            H("7C438241") + CHIP_MAP,
            H("7C438441") + CHIP_EPH,
            H("7C0A8608") + T_PICC,
        ]

    def transmit(self, command: bytes) -> Response:
        self.sent.append(command)
        return Response(self.answers[len(self.sent) - 1], 0x90, 0x00)


def test_the_terminal_sends_the_example_commands_and_agrees_the_keys() -> None:
    chip = WorkedExampleChip()
    sm = pace.establish(chip, INFO, KEY, scalars=(MAP_SCALAR, EPH_SCALAR))
    mse, ga1, ga2, ga3, ga4 = chip.sent
    assert mse == H("0022C1A40F800A04007F00070202040202830101")
    assert ga1 == H("10860000027C0000")
    assert ga2 == H("1086000045") + H("7C438141") + TERMINAL_MAP + b"\x00"
    assert ga3 == H("1086000045") + H("7C438341") + TERMINAL_EPH + b"\x00"
    assert ga4 == H("008600000C7C0A8508") + T_PCD + b"\x00"
    assert (sm.cipher.ks_enc, sm.cipher.ks_mac, sm.ssc) == (KS_ENC, KS_MAC, 0)  # type: ignore[attr-defined]
