"""Chip Authentication (ICAO 9303-11 section 6.2, ECDH): the chip proves it holds the
private key of the static public key in DG14 (which passive authentication ties to the
issuer). We send an ephemeral public key; both sides derive new session keys from the
shared point; the chip can answer under those keys only if it has the private key.

AES variants use MSE:Set AT + GENERAL AUTHENTICATE, 3DES uses MSE:Set KAT. The proof is
the first command under the new keys: its answer's MAC verifies or it does not.
"""

from __future__ import annotations

from hardware.cards import apdu, checks, ec_math, security_infos, tlv
from hardware.cards.document import Check, CheckResult
from hardware.cards.errors import MalformedCardData, SecureMessagingError
from hardware.cards.sm import SecureTransport, session_cipher

EF_COM = b"\x01\x1e"


def _words(result: CheckResult, detail: str) -> Check:
    if result == CheckResult.PASSED:
        return Check(
            "chip",
            result,
            "通过：芯片证明持有签发时写入的芯片密钥，不是复制的芯片",
            "Passed: the chip proved it holds its issued chip key (not a copy)",
            detail,
        )
    if result == CheckResult.FAILED:
        return Check(
            "chip",
            result,
            "失败：芯片无法证明持有芯片密钥，可能是克隆芯片",
            "FAILED: the chip could not prove it holds its chip key; it may be a clone",
            detail,
        )
    return Check(
        "chip",
        result,
        "未完成：芯片认证未能进行，请人工核验证件",
        "Not completed: chip authentication could not be run; check the document",
        detail,
    )


def chip_authentication(sm: SecureTransport, dg14: bytes | None) -> tuple[Check, SecureTransport]:
    """Run CA when DG14 offers it; returns the check and the transport to go on with (new
    keys after a successful CA). Card I/O errors propagate; bad data is a failed check."""
    if dg14 is None:
        return checks.not_offered("chip", "芯片认证", "chip authentication"), sm
    try:
        protocols, keys = security_infos.chip_auth(security_infos.parse(dg14))
    except MalformedCardData as exc:
        return _words(CheckResult.FAILED, f"DG14 unusable: {exc.detail}"), sm
    pairs = [
        (p, k)
        for p in protocols
        for k in keys
        if p.agreement == "ECDH" == k.agreement and (p.key_id is None or p.key_id == k.key_id)
    ]
    if not pairs:
        if protocols or keys:  # DH chip authentication: rare, not run here
            return _words(CheckResult.NOT_CHECKED, "DG14 offers only DH chip authentication"), sm
        return checks.not_offered("chip", "芯片认证", "chip authentication"), sm
    protocol, key = pairs[0]
    try:
        chip_key = ec_math.public_key_from_spki(key.spki)
    except MalformedCardData as exc:
        return _words(CheckResult.FAILED, exc.detail), sm
    curve = chip_key.curve
    secret = ec_math.random_scalar(curve)
    ours = ec_math.encode_point(curve, curve.generator * secret)
    key_ref = tlv.encode(0x84, _int_bytes(key.key_id)) if key.key_id is not None else b""
    if protocol.cipher == "3DES":
        steps = [apdu.command(0x00, 0x22, 0x41, 0xA6, tlv.encode(0x91, ours) + key_ref)]
    else:
        oid = tlv.encode(0x80, tlv.encode_oid(protocol.oid)[2:])
        steps = [
            apdu.command(0x00, 0x22, 0x41, 0xA4, oid + key_ref),
            apdu.command(0x00, 0x86, 0x00, 0x00, tlv.encode(0x7C, tlv.encode(0x80, ours)), le=256),
        ]
    for step in steps:
        answer = sm.transmit(step)
        if not answer.ok:
            return _words(CheckResult.NOT_CHECKED, f"{step[:2].hex()}: {answer.sw:04X}"), sm
    shared = ec_math.shared_x(curve, secret, chip_key.pubkey.point)
    fresh = SecureTransport(sm.inner, session_cipher(shared, protocol.cipher), 0)
    try:
        proof = fresh.transmit(apdu.select_ef(EF_COM))
    except SecureMessagingError as exc:
        detail = f"answer under the new keys does not verify: {exc.detail}"
        return _words(CheckResult.FAILED, detail), fresh
    if not proof.ok:
        return _words(CheckResult.FAILED, f"SELECT under the new keys: {proof.sw:04X}"), fresh
    return _words(CheckResult.PASSED, f"{protocol.cipher} keys agreed with DG14's key"), fresh


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
