"""The centre's staff accounts: password rules, lock-out, sessions, audit, the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.central.cli import cli
from sync.central.staff import IDLE_MINUTES, SignInRefused, StaffAccounts, StaffError
from sync.credentials import WeakPassword, check_secret
from sync.errors import SyncError

from .conftest import Central
from .console_data import PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now


def actions(accounts: StaffAccounts) -> list[tuple[str, str]]:
    return [(who, action) for _, who, action, *_ in reversed(accounts.audit_log())]


def test_accounts_follow_the_station_password_rules(central: Central) -> None:
    accounts = StaffAccounts(central.home.store)
    with pytest.raises(WeakPassword):
        accounts.add("wang", "王老师", "viewer", "password1")
    with pytest.raises(WeakPassword):  # contains the user name
        accounts.add("wangfang", "王芳", "viewer", "Wangfang#2026x")
    with pytest.raises(StaffError):
        accounts.add("wang", "王老师", "superuser", PASSWORD)
    assert accounts.members() == []
    accounts.add("wang", "王老师", "operator", PASSWORD)
    with pytest.raises(StaffError):
        accounts.add("wang", "someone else", "admin", PASSWORD)
    (member,) = accounts.members()
    assert (member.username, member.role, member.disabled) == ("wang", "operator", False)
    verifier = central.home.store.read("SELECT verifier FROM staff")[0][0]
    assert PASSWORD not in verifier and check_secret(PASSWORD, verifier)


def test_lock_out_after_five_failures_and_every_failure_audited(central: Central) -> None:
    clock = Clock()
    accounts = StaffAccounts(central.home.store, clock=clock)
    accounts.add("li", "李", "viewer", PASSWORD)
    for _ in range(4):
        with pytest.raises(SignInRefused) as wrong:
            accounts.sign_in("li", "Wrong#pass1", "10.0.0.9")
        assert "Wrong user name or password" in wrong.value.en
    with pytest.raises(SignInRefused) as locked:
        accounts.sign_in("li", "Wrong#pass1", "10.0.0.9")
    assert "locked" in locked.value.en and "锁定" in locked.value.zh
    with pytest.raises(SignInRefused):  # the right password does not open a locked account
        accounts.sign_in("li", PASSWORD, "10.0.0.9")
    assert accounts.members()[0].locked_until is not None
    clock.now += timedelta(minutes=16)
    token, session = accounts.sign_in("li", PASSWORD, "10.0.0.9")
    assert session.role == "viewer" and accounts.session(token) is not None
    with pytest.raises(SignInRefused):
        accounts.sign_in("nobody", PASSWORD, "10.0.0.9")
    log = actions(accounts)
    assert log.count(("li", "signin.failed")) == 5
    assert ("li", "signin.lockout") in log and ("li", "signin.locked") in log
    assert ("li", "signin.ok") in log and ("nobody", "signin.failed") in log


def test_sessions_are_stored_hashed_and_end_idle_expired_or_disabled(central: Central) -> None:
    clock = Clock()
    accounts = StaffAccounts(central.home.store, clock=clock)
    accounts.add("zhao", "赵", "admin", PASSWORD)
    token, _ = accounts.sign_in("zhao", PASSWORD, "127.0.0.1")
    stored = central.home.store.read("SELECT token_sha256 FROM staff_sessions")
    assert token not in {r[0] for r in stored}
    clock.now += timedelta(minutes=IDLE_MINUTES - 1)
    assert accounts.session(token, touch=False) is not None  # polling does not count...
    clock.now += timedelta(minutes=2)
    assert accounts.session(token) is None  # ...so the session ended idle
    token, _ = accounts.sign_in("zhao", PASSWORD, "127.0.0.1")
    assert accounts.session(token) is not None
    accounts.set_disabled("zhao", True)
    assert accounts.session(token) is None
    with pytest.raises(SignInRefused) as disabled:
        accounts.sign_in("zhao", PASSWORD, "127.0.0.1")
    assert "disabled" in disabled.value.en


def test_user_commands(central: Central, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    home = ["--home", str(central.path), "--db", central.home.db_url]
    runner = CliRunner()
    added = runner.invoke(
        cli, [*home, "user", "add", "chen", "--role", "admin", "--password-file", str(secret)]
    )
    assert added.exit_code == 0, added.output
    weak = tmp_path / "weak"
    weak.write_text("12345678")
    refused = runner.invoke(
        cli, [*home, "user", "add", "sun", "--role", "viewer", "--password-file", str(weak)]
    )
    assert refused.exit_code != 0 and isinstance(refused.exception, WeakPassword)
    listed = runner.invoke(cli, [*home, "user", "list"])
    assert "chen" in listed.output and "admin" in listed.output and "sun" not in listed.output
    assert runner.invoke(cli, [*home, "user", "disable", "chen"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, [*home, "user", "list"]).output
    assert ("cli", "user.disable") in actions(StaffAccounts(central.home.store))


def test_home_and_database_are_private_to_the_service_user(tmp_path: Path) -> None:
    import os
    import stat

    from sync.central.home import CentralHome

    old = os.umask(0o022)  # a usual umask: the centre must not rely on it
    try:
        home = CentralHome(tmp_path / "central")
        home.init("a passphrase for this test")
        StaffAccounts(home.store).add("wu", "吴", "viewer", PASSWORD)  # writes: WAL exists
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "central").iterdir()}
        home.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "central").stat().st_mode) == 0o700
    assert files["central.db"] == 0o600 and files["keys.json"] == 0o600
    assert all(mode & 0o077 == 0 for mode in files.values()), files


def test_an_issued_package_tells_the_console_who_is_expected(central: Central) -> None:
    from datetime import UTC

    from sync.central.console.queries import progress
    from sync.package import PackageMeta

    station = central.station("SEAT-01", "V1")
    now = datetime.now(UTC)

    def issue(version: int, roster: list[dict[str, str]]) -> None:
        meta = PackageMeta(
            exam_id="E1", version=version, venue_id="V1", sitting_id="S1",
            valid_from=(now - timedelta(hours=1)).isoformat(),
            valid_until=(now + timedelta(days=1)).isoformat(), issued_at=now.isoformat(),
            central_key_id=central.keys.public().key_id,
        )  # fmt: skip
        central.home.issue_package(
            {"roster": roster, "paper": {"items": []}}, meta, central.keys, [station.public()]
        )

    issue(1, [{"candidate_id": f"C{i}", "ticket": f"T{i}", "name": "x"} for i in range(5)])
    issue(2, [{"candidate_id": f"C{i}", "ticket": f"T{i}", "name": "x"} for i in range(3)])
    # The roster of the newer package replaces the older one's.
    (row,) = progress(central.home.store)
    assert (row["sitting_id"], row["venue_id"], row["expected"], row["no_shows"]) == (
        "S1", "V1", 3, 3,
    )  # fmt: skip


NEW_PASSWORD = "Rb4!xWq8#Lm2"


def test_password_expires_after_the_policy_age_and_must_be_changed(central: Central) -> None:
    clock = Clock()
    accounts = StaffAccounts(central.home.store, clock=clock)
    accounts.add("qian", "钱", "operator", PASSWORD)
    token, session = accounts.sign_in("qian", PASSWORD, "10.0.0.1")
    assert not session.password_expired
    clock.now += timedelta(days=91)  # 90 days by default, as at the stations
    (member,) = accounts.members()
    assert member.password_expired
    token, session = accounts.sign_in("qian", PASSWORD, "10.0.0.1")  # signs in...
    assert session.password_expired  # ...but only to change the password
    assert accounts.session(token, touch=False).password_expired  # type: ignore[union-attr]
    with pytest.raises(SignInRefused) as wrong_old:
        accounts.change_own(session, "Not#the1old", NEW_PASSWORD, "10.0.0.1")
    assert "当前密码不正确" in wrong_old.value.zh
    with pytest.raises(WeakPassword):  # the same rules
        accounts.change_own(session, PASSWORD, "qian2026!Aa", "10.0.0.1")
    with pytest.raises(WeakPassword):  # not the old one again
        accounts.change_own(session, PASSWORD, PASSWORD, "10.0.0.1")
    accounts.change_own(session, PASSWORD, NEW_PASSWORD, "10.0.0.1")
    live = accounts.session(token)
    assert live is not None and not live.password_expired
    with pytest.raises(SignInRefused):
        accounts.sign_in("qian", PASSWORD, "10.0.0.1")
    accounts.sign_in("qian", NEW_PASSWORD, "10.0.0.1")
    log = actions(accounts)
    assert ("qian", "password.change_failed") in log and ("qian", "password.changed") in log


def test_changing_ones_password_ends_the_other_sessions_and_wrong_old_ones_lock(
    central: Central,
) -> None:
    accounts = StaffAccounts(central.home.store)
    accounts.add("sun", "孙", "viewer", PASSWORD)
    here, session = accounts.sign_in("sun", PASSWORD, "10.0.0.1")
    elsewhere, _ = accounts.sign_in("sun", PASSWORD, "10.0.0.2")
    accounts.change_own(session, PASSWORD, NEW_PASSWORD, "10.0.0.1")
    assert accounts.session(here) is not None and accounts.session(elsewhere) is None
    for _ in range(4):
        with pytest.raises(SignInRefused):
            accounts.change_own(session, "Guess#0000x", "Zz9!other-pw", "10.0.0.1")
    with pytest.raises(SignInRefused) as locked:
        accounts.change_own(session, "Guess#0000x", "Zz9!other-pw", "10.0.0.1")
    # Guessing through the change form is a failed sign-in like any other: locked out,
    # signed out.
    assert "锁定" in locked.value.zh and accounts.session(here) is None
    with pytest.raises(SignInRefused):
        accounts.sign_in("sun", NEW_PASSWORD, "10.0.0.1")


def test_user_passwd_sets_a_password_to_be_changed_at_next_sign_in(
    central: Central, tmp_path: Path
) -> None:
    accounts = StaffAccounts(central.home.store)
    accounts.add("zhou", "周", "operator", PASSWORD)
    token, _ = accounts.sign_in("zhou", PASSWORD, "10.0.0.1")
    home = ["--home", str(central.path), "--db", central.home.db_url]
    weak = tmp_path / "weak"
    weak.write_text("zhou12345")
    runner = CliRunner()
    refused = runner.invoke(cli, [*home, "user", "passwd", "zhou", "--password-file", str(weak)])
    assert isinstance(refused.exception, WeakPassword)
    assert accounts.session(token, touch=False) is not None  # nothing changed
    secret = tmp_path / "pw"
    secret.write_text(NEW_PASSWORD + "\n")
    done = runner.invoke(cli, [*home, "user", "passwd", "zhou", "--password-file", str(secret)])
    assert done.exit_code == 0, done.output
    assert accounts.session(token, touch=False) is None  # the account's sessions ended
    _, session = accounts.sign_in("zhou", NEW_PASSWORD, "10.0.0.1")
    assert session.password_expired  # the administrator knows it: the owner must change it
    listed = runner.invoke(cli, [*home, "user", "list"])
    assert "password expired" in listed.output
    kept = runner.invoke(
        cli, [*home, "user", "passwd", "zhou", "--password-file", str(secret), "--keep"]
    )
    assert kept.exit_code == 0
    assert not accounts.sign_in("zhou", NEW_PASSWORD, "10.0.0.1")[1].password_expired
    missing = runner.invoke(
        cli, [*home, "user", "passwd", "nobody", "--password-file", str(secret)]
    )
    assert isinstance(missing.exception, StaffError)
    assert actions(accounts).count(("cli", "user.passwd")) == 2


def test_the_centre_settings_set_the_policy_and_refuse_bad_values(
    central: Central, tmp_path: Path
) -> None:
    import json

    from sync.central import centre_settings

    settings = centre_settings.load(central.path)
    assert settings.policy.max_age_days == 90 and str(settings.time_zone) == "Asia/Shanghai"
    config = central.path / "config.json"
    base = json.loads(config.read_text()) if config.exists() else {}
    config.write_text(json.dumps({**base, "password_policy": {"max_age_days": 30}}))
    assert centre_settings.load(central.path).policy.max_age_days == 30
    for bad in ({"time_zone": "Mars/Olympus"}, {"password_policy": {"max_failures": 100}},
                {"live_stream": {"max_seconds": 0}}):  # fmt: skip
        config.write_text(json.dumps({**base, **bad}))
        with pytest.raises(SyncError) as refused:
            centre_settings.load(central.path)
        assert refused.value.zh and refused.value.en
    config.write_text(json.dumps({**base, "time_zone": "Mars/Olympus"}))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--home", str(central.path), "user", "list"])
    assert listed.exit_code != 0 and "Mars/Olympus" in str(listed.exception)


def test_a_session_says_when_the_password_expires_soon(central: Central) -> None:
    clock = Clock()
    accounts = StaffAccounts(central.home.store, clock=clock)
    accounts.add("wu", "吴", "viewer", PASSWORD)
    token, _ = accounts.sign_in("wu", PASSWORD, "10.0.0.1")
    assert accounts.session(token, touch=False).password_expires == ""  # type: ignore[union-attr]
    clock.now += timedelta(days=80)  # 10 days left of 90
    token, _ = accounts.sign_in("wu", PASSWORD, "10.0.0.1")
    soon = accounts.session(token)
    assert soon is not None and not soon.password_expired
    expires = datetime.fromisoformat(soon.password_expires)
    assert timedelta(days=9) < expires - clock.now <= timedelta(days=10)
