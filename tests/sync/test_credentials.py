"""The shared credential rules: what a venue or centre user meets when choosing a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.credentials import (
    CredentialError,
    FailureCount,
    PasswordPolicy,
    WeakPassword,
    check_password,
    check_recovery_passphrase,
    check_secret,
    locked_until,
    make_verifier,
    valid_verifier,
)


def test_verifier_accepts_the_password_and_nothing_else() -> None:
    verifier = make_verifier("Kq7#mZ2p-venue")
    assert valid_verifier(verifier)
    assert "Kq7#mZ2p" not in verifier
    assert check_secret("Kq7#mZ2p-venue", verifier)
    assert not check_secret("Kq7#mZ2p-venuE", verifier)
    assert make_verifier("Kq7#mZ2p-venue") != verifier  # salted


@pytest.mark.parametrize(
    "verifier",
    ["", "plain", "scrypt$30$8$1$" + "00" * 16 + "$" + "00" * 32, "md5$abc", "scrypt$15$8$1$zz$zz"],
)
def test_unusable_verifiers_never_match(verifier: str) -> None:
    assert not check_secret("anything", verifier)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1!", "8 个字符"),
        ("abcdefgh12", "三类"),
        ("Password1!", "常见"),
        ("T20240017#xy", "工号"),
        ("zhangwei#2026A", "工号或姓名"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule_broken(password: str, why: str) -> None:
    with pytest.raises(WeakPassword) as info:
        check_password(password, staff_number="T20240017", name="zhangwei")
    assert why in info.value.zh
    assert info.value.en


def test_a_good_password_passes() -> None:
    check_password("Huang-Lake#47", staff_number="T20240017", name="zhangwei")


def test_recovery_passphrase_needs_length_and_strength() -> None:
    with pytest.raises(WeakPassword, match="12 characters"):
        check_recovery_passphrase("Short#1")
    with pytest.raises(WeakPassword, match="too easy to guess"):
        check_recovery_passphrase("aaaaaaaaaaaa")
    assert check_recovery_passphrase("river-Lantern-93-quiet-Maple") >= 40


def test_lockout_after_the_limit_for_the_configured_time() -> None:
    policy = PasswordPolicy(max_failures=5, lockout_minutes=15)
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert locked_until(FailureCount(4, at), policy) is None
    assert locked_until(FailureCount(5, at), policy) == at + timedelta(minutes=15)


def test_policy_from_settings_refuses_weaker_rules() -> None:
    assert PasswordPolicy.from_settings({"lockout_minutes": 30}).lockout_minutes == 30
    with pytest.raises(CredentialError, match="min_length"):
        PasswordPolicy.from_settings({"min_length": 4})
    with pytest.raises(CredentialError):
        PasswordPolicy.from_settings({"max_failures": "5"})
