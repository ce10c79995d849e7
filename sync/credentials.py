"""Staff credentials shared by the stations and the centre: password verifiers, the password
rules of 等保 level 3 (GB/T 22239-2019, identification and authentication), lock-out and the
recovery-passphrase strength rule.

Pure functions and frozen records, no storage: `examkiosk.core.accounts` keeps station
accounts in the encrypted store, the centre keeps its staff in its own database, and both
decide with the same code here.

Verifiers are scrypt (n=2^15, r=8, p=1, 16-byte salt, 32-byte output), written as
`scrypt$15$8$1$<salt hex>$<hash hex>` so the centre can put them in a package without the
station learning the password. Guessability comes from zxcvbn (its dictionaries of common
passwords, names and patterns), not from a list of our own.
"""

from __future__ import annotations

import hmac
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sync.errors import SyncError

STATION_ROLES: dict[str, tuple[str, str]] = {
    "invigilator": ("监考员", "Invigilator"),
    "venue_admin": ("考点管理员", "Venue administrator"),
    "technician": ("技术员", "Technician"),
}
CENTRE_ROLES: dict[str, tuple[str, str]] = {
    "viewer": ("查看员", "Viewer"),
    "operator": ("操作员", "Operator"),
    "admin": ("管理员", "Administrator"),
}

_LOG2_10 = math.log2(10)
_VERIFIER = re.compile(r"^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([0-9a-f]{32})\$([0-9a-f]{64})$")
SCRYPT_LOG_N = 15
MAX_SECRET_CHARS = 256  # longer input is refused before any hashing (no CPU sink)
RECOVERY_MIN_CHARS = 12
RECOVERY_MIN_BITS = 40.0


class CredentialError(SyncError):
    """A credential was refused; `zh`/`en` say why and what to do."""


class WeakPassword(CredentialError):
    """A new password or passphrase breaks the rules."""


@dataclass(frozen=True)
class PasswordPolicy:
    """The venue's (or the centre's) rules; defaults are 等保 level 3's usual reading."""

    min_length: int = 8
    min_classes: int = 3
    max_age_days: int = 90  # 0: passwords never expire
    max_failures: int = 5
    lockout_minutes: int = 15
    idle_lock_minutes: int = 10

    _BOUNDS = {
        "min_length": (8, 64),
        "min_classes": (3, 4),
        "max_age_days": (0, 3650),
        "max_failures": (3, 20),
        "lockout_minutes": (1, 24 * 60),
        "idle_lock_minutes": (1, 240),
    }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> PasswordPolicy:
        """The policy a package or configuration asks for, each value range-checked.

        Raises WeakPassword naming the field when a value is missing its type or range:
        a package may make the rules stricter than the minimum, never weaker.
        """
        values: dict[str, int] = {}
        for name, (low, high) in cls._BOUNDS.items():
            if not settings or name not in settings:
                continue
            value = settings[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise CredentialError(
                    f"账号安全设置 {name} 的值 {value!r} 不在允许范围 {low}–{high} 内。",
                    f"The account security setting {name}={value!r} is outside {low}–{high}.",
                )
            values[name] = value
        return cls(**values)

    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    def expired(self, changed_at: datetime | None, now: datetime) -> bool:
        if not self.max_age_days or changed_at is None:
            return False
        return now - changed_at > timedelta(days=self.max_age_days)


def _scrypt(secret: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log_n, r=r, p=p).derive(secret.encode("utf-8"))


def _bounded(secret: str) -> str:
    if len(secret) > MAX_SECRET_CHARS:
        raise CredentialError(
            "输入过长。", "The input is too long.", detail=f"{len(secret)} characters"
        )
    return secret


def make_verifier(secret: str) -> str:
    """A salted scrypt verifier for `secret` (a password or a one-time enrolment code)."""
    salt = os.urandom(16)
    digest = _scrypt(_bounded(secret), salt, SCRYPT_LOG_N, 8, 1)
    return f"scrypt${SCRYPT_LOG_N}$8$1${salt.hex()}${digest.hex()}"


def valid_verifier(verifier: str) -> bool:
    """Whether `verifier` has the form and cost this module accepts (checked on import)."""
    match = _VERIFIER.match(verifier or "")
    if not match:
        return False
    log_n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    return 14 <= log_n <= 20 and 1 <= r <= 16 and p == 1


def check_secret(secret: str, verifier: str) -> bool:
    """True when `secret` matches; False for a wrong secret or an unusable verifier."""
    if not valid_verifier(verifier) or len(secret) > MAX_SECRET_CHARS:
        return False
    _, log_n, r, p, salt, digest = verifier.split("$")
    computed = _scrypt(secret, bytes.fromhex(salt), int(log_n), int(r), int(p))
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _classes(text: str) -> int:
    return sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )


def _estimate(text: str, user_inputs: list[str]) -> dict[str, Any]:
    from zxcvbn import zxcvbn  # a second to load its dictionaries: only when asked

    return dict(zxcvbn(text[:MAX_SECRET_CHARS], user_inputs=[u for u in user_inputs if u]))


def entropy_bits(text: str, user_inputs: list[str] | None = None) -> float:
    """zxcvbn's estimate of the guesses needed, in bits (log2 of the guesses)."""
    if not text:
        return 0.0
    return float(_estimate(text, user_inputs or [])["guesses_log10"]) * _LOG2_10


def check_password(
    password: str,
    *,
    staff_number: str = "",
    name: str = "",
    policy: PasswordPolicy | None = None,
) -> None:
    """Raises WeakPassword (saying which rule and what to do) unless `password` meets the
    policy: length, three of four character classes, not the staff number or name, and not
    a common or easily guessed password."""
    policy = policy or PasswordPolicy()
    _bounded(password)
    if len(password) < policy.min_length:
        raise WeakPassword(
            f"密码至少需要 {policy.min_length} 个字符。",
            f"The password needs at least {policy.min_length} characters.",
        )
    if _classes(password) < policy.min_classes:
        raise WeakPassword(
            "密码需包含小写字母、大写字母、数字、符号四类中的至少三类。",
            "The password needs at least three of: lower-case letters, upper-case letters, "
            "digits, symbols.",
        )
    lowered = password.lower()
    for own in (staff_number, name):
        if own and len(own) >= 3 and own.lower() in lowered:
            raise WeakPassword(
                "密码不能包含本人的工号或姓名。",
                "The password must not contain your staff number or name.",
            )
    if int(_estimate(password, [staff_number, name])["score"]) < 2:
        raise WeakPassword(
            "密码过于常见或有规律，容易被猜到，请换一个。",
            "The password is common or follows a pattern and is easy to guess; choose another.",
        )


def check_recovery_passphrase(passphrase: str) -> float:
    """The estimated strength in bits of a new recovery passphrase; raises WeakPassword
    (saying why) when it is shorter than 12 characters or easier to guess than 2^40."""
    _bounded(passphrase)
    if len(passphrase) < RECOVERY_MIN_CHARS:
        raise WeakPassword(
            f"恢复口令至少需要 {RECOVERY_MIN_CHARS} 个字符（可以是几个词加数字）。",
            f"The recovery passphrase needs at least {RECOVERY_MIN_CHARS} characters "
            "(a few words and digits will do).",
        )
    bits = entropy_bits(passphrase)
    if bits < RECOVERY_MIN_BITS:
        raise WeakPassword(
            f"恢复口令太容易被猜到（估计强度 {bits:.0f} 位，至少需要 {RECOVERY_MIN_BITS:.0f} 位）："
            "避免重复字符、常见词语和键盘顺序，可用几个不相关的词加数字和符号。",
            f"The recovery passphrase is too easy to guess (estimated {bits:.0f} bits, at least "
            f"{RECOVERY_MIN_BITS:.0f} needed): avoid repeats, common words and keyboard runs; "
            "use a few unrelated words with digits and symbols.",
        )
    return bits


@dataclass(frozen=True)
class FailureCount:
    """Consecutive failed sign-ins of one account and when the last one happened."""

    failures: int = 0
    last_failure: datetime | None = None


def locked_until(state: FailureCount, policy: PasswordPolicy) -> datetime | None:
    """When the lock-out ends, or None if the account is not locked (the caller compares
    with now). A success resets the count; the lock starts at the failure that reached
    the limit."""
    if state.failures < policy.max_failures or state.last_failure is None:
        return None
    return state.last_failure + policy.lockout()
