"""Active Authentication (ICAO 9303-11 section 6.1): the chip signs our random challenge
with the private key whose public half is in DG15, which passive authentication ties to
the issuer. A copied chip has the data but not the key, so it cannot sign.

RSA signatures use ISO/IEC 9796-2 digital signature scheme 1 (message recovery; trailer
BC = SHA-1, or xxCC naming the hash); ECDSA signatures are plain r || s (BSI TR-03111)
with the hash DG14 names (SHA-256 when DG14 does not say).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from ecdsa.util import sigdecode_string

from hardware.cards import apdu, checks, ec_math, security_infos, tlv
from hardware.cards.apdu import Transport
from hardware.cards.document import Check, CheckResult
from hardware.cards.errors import MalformedCardData

# ISO/IEC 9796-2 trailer hash identifiers (ISO/IEC 10118-3 numbers)
_TRAILER_HASH = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
_ECDSA_HASH = {
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}


def _words(result: CheckResult, detail: str) -> Check:
    if result == CheckResult.PASSED:
        return Check(
            "active",
            result,
            "通过：芯片用签发时写入的私钥签名了随机挑战，不是复制的芯片",
            "Passed: the chip signed a fresh challenge with its issued private key (not a copy)",
            detail,
        )
    if result == CheckResult.FAILED:
        return Check(
            "active",
            result,
            "失败：芯片无法用证件的私钥签名，可能是克隆芯片",
            "FAILED: the chip cannot sign with the document's private key; it may be a clone",
            detail,
        )
    return Check(
        "active",
        result,
        "未完成：芯片未回应主动认证，请人工核验证件",
        "Not completed: the chip did not answer active authentication; check the document",
        detail,
    )


def verify_iso9796_2(key: rsa.RSAPublicKey, signature: bytes, challenge: bytes) -> bool:
    """ISO/IEC 9796-2 scheme 1 with partial (6A) or total (4A) message recovery."""
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    s = int.from_bytes(signature, "big")
    if not 0 < s < n:
        return False
    f = pow(s, e, n)
    if f & 0x0F != 0x0C:  # the signer may have sent n - J (ISO/IEC 9796-2, section B.7)
        f = n - f
    block = f.to_bytes((n.bit_length() + 7) // 8, "big")
    if block[-1] == 0xBC:
        name, trailer = "sha1", 1
    elif block[-1] == 0xCC and block[-2] in _TRAILER_HASH:
        name, trailer = _TRAILER_HASH[block[-2]], 2
    else:
        return False
    size = hashlib.new(name).digest_size
    if len(block) < 1 + size + trailer or block[0] not in (0x6A, 0x4A):
        return False
    recovered = block[1 : -size - trailer]
    digest = block[-size - trailer : -trailer]
    message = recovered + challenge if block[0] == 0x6A else recovered
    if block[0] == 0x4A and not recovered.endswith(challenge):
        return False
    return hmac.compare_digest(hashlib.new(name, message).digest(), digest)


def active_authentication(transport: Transport, dg15: bytes | None, dg14: bytes | None) -> Check:
    """Run AA when the chip has DG15. Never raises MalformedCardData: a broken DG15 or
    answer is a failed check (the door refuses or reviews), card I/O errors propagate."""
    if dg15 is None:
        return checks.not_offered("active", "主动认证", "active authentication")
    try:
        spki = tlv.parse_one(dg15)[0]
        if spki.tag != 0x6F:
            raise MalformedCardData(f"DG15 tag {spki.tag:X}")
        infos = security_infos.parse(dg14) if dg14 is not None else []
        challenge = os.urandom(8)
        answer = transport.transmit(apdu.command(0x00, 0x88, 0x00, 0x00, challenge, le=256))
        if not answer.ok or not answer.data:
            return _words(CheckResult.NOT_CHECKED, f"INTERNAL AUTHENTICATE: {answer.sw:04X}")
        ok = _verify(spki.value, answer.data, challenge, infos)
    except MalformedCardData as exc:
        return _words(CheckResult.FAILED, f"active authentication data unusable: {exc.detail}")
    if ok:
        return _words(CheckResult.PASSED, "signature over the challenge verified with DG15")
    return _words(CheckResult.FAILED, "signature over the challenge does not verify with DG15")


def _verify(
    spki: bytes, signature: bytes, challenge: bytes, infos: list[security_infos.SecurityInfo]
) -> bool:
    try:
        key = load_der_public_key(spki)
    except (ValueError, TypeError):  # EC keys with explicit parameters: ecdsa reads them
        key = None
    if isinstance(key, rsa.RSAPublicKey):
        return verify_iso9796_2(key, signature, challenge)
    ec_key = ec_math.public_key_from_spki(spki)
    oid = security_infos.aa_signature_oid(infos) or "1.2.840.10045.4.3.2"
    name = _ECDSA_HASH.get(oid)
    if name is None:
        raise MalformedCardData(f"active authentication signature algorithm {oid} unknown")
    try:
        return bool(
            ec_key.verify(
                signature, challenge, hashfunc=getattr(hashlib, name), sigdecode=sigdecode_string
            )
        )
    except Exception:  # BadSignatureError, or a signature of the wrong length
        return False
