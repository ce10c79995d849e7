"""Resume codes (续考码): an invigilator lets a candidate continue after a long outage.

The seat shows a request (`3F2A9C1B-2`: the attempt's first 8 hex digits and how many
codes it has used); the invigilator's tool, on any station holding the same package, turns
ticket + request into an 8-digit code. The seat checks it offline: HMAC-SHA256 keyed by the
package's secret over the candidate, the attempt and the counter. A code works once (the
counter moves on when it is used) and every try, right or wrong, is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from examkiosk.core.errors import Refused
from examkiosk.store import packages
from examkiosk.store.db import Store

CODE_DIGITS = 8
_REQUEST = re.compile(r"^\s*([0-9A-Fa-f]{8})-(\d{1,4})\s*$")


def package_secret(store: Store) -> bytes:
    """The secret shared by every station holding the package.

    A package carries `settings.resume_secret` (hex, 32 random bytes) for this. A package
    without one falls back to a digest of its decrypted content and items (answer keys
    included), which only stations that could decrypt the package hold.
    """
    package = packages.latest(store)
    if package is None:
        raise Refused("本机尚未导入考试包。", "No exam package has been imported on this station.")
    content = package.content
    stored = json.dumps(content, ensure_ascii=False, sort_keys=True)
    explicit = (content.get("settings") or {}).get("resume_secret")
    if isinstance(explicit, str) and len(explicit) >= 32:
        try:
            return bytes.fromhex(explicit)
        except ValueError:  # checked at import; a package stored before that was checked
            raise Refused(
                "考试包中的续考密钥格式不正确，无法生成续考码。请联系省考试中心重新下发考试包。",
                "The package's resume secret is malformed, so no resume code can be made. "
                "Ask the exam centre to reissue the package.",
            ) from None
    digest = hashlib.sha256(b"examkiosk-package-secret-v1\x00" + stored.encode())
    for (body,) in store.query("SELECT body_json FROM items ORDER BY item_id"):
        digest.update(b"\x00" + str(body).encode())
    return digest.digest()


def request_text(attempt_id: str, counter: int) -> str:
    return f"{attempt_id.replace('-', '')[:8].upper()}-{counter}"


def parse_request(text: str) -> tuple[str, int]:
    match = _REQUEST.match(text)
    if not match:
        raise Refused(
            "请求码格式不对：应为8位字母数字、短横线和数字，例如 3F2A9C1B-0。",
            "The request is not in the right form: 8 letters/digits, a dash and a number, "
            "for example 3F2A9C1B-0.",
        )
    return match.group(1).upper(), int(match.group(2))


def resume_code(secret: bytes, candidate_id: str, request: str) -> str:
    prefix, counter = parse_request(request)
    message = f"examkiosk-resume-v1|{candidate_id}|{prefix}|{counter}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_matches(secret: bytes, candidate_id: str, request: str, code: str) -> bool:
    typed = re.sub(r"\s+", "", code)
    return hmac.compare_digest(resume_code(secret, candidate_id, request), typed)
