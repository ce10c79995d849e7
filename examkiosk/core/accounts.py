"""Personal staff accounts at a station: the staff list from the package, local accounts the
venue administrator adds, sign-in with lock-out, enrolment and password changes.

Every sign-in, failure, lock-out and account change is an audit event in the outbox, so the
centre sees who did what. Passwords are never stored or logged: accounts keep scrypt
verifiers (`sync.credentials`), the package carries verifiers made at the centre.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from examkiosk.store import keys, packages
from examkiosk.store import staff as staff_sql
from examkiosk.store.layout import DataDir
from examkiosk.store.staff import StaffRow
from sync.credentials import (
    STATION_ROLES,
    FailureCount,
    PasswordPolicy,
    check_password,
    check_secret,
    locked_until,
    make_verifier,
    valid_verifier,
)

log = logging.getLogger(__name__)

STAFF_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_STAFF = 2000
MAX_NAME = 64


class SignInRefused(KioskError):
    """Wrong staff number or password, a locked or disabled account."""


class PasswordChangeRequired(KioskError):
    """The secret was right but a (new) password must be chosen first: after an enrolment
    code, or when the password is older than the policy allows."""


class AccountError(KioskError):
    """An account change that cannot be made as asked."""


@dataclass(frozen=True)
class StaffEntry:
    """One person as the package lists them."""

    staff_number: str
    name: str
    role: str
    verifier: str
    enrolment_verifier: str
    card_uid: str | None
    disabled: bool


def _bad_staff(index: int, field: str, problem: str) -> KioskError:
    return KioskError(
        f"考试包中的工作人员名单第 {index + 1} 项的 {field} {problem}，无法导入。请联系省考试中心重新下发。",
        f"Staff entry {index + 1} of the package: {field} {problem}; the package cannot be "
        "imported. Ask the exam centre to issue it again.",
    )


def parse_package_staff(content: Mapping[str, Any]) -> list[StaffEntry]:
    """The package's staff list, every field checked; KioskError naming the entry and field."""
    raw = content.get("staff", [])
    if not isinstance(raw, list) or len(raw) > MAX_STAFF:
        raise _bad_staff(0, "staff", "is not a list of at most 2000 people")
    entries: list[StaffEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _bad_staff(i, "entry", "is not an object")
        number = item.get("staff_number")
        if not isinstance(number, str) or not STAFF_NUMBER.match(number):
            raise _bad_staff(i, "staff_number", "is missing or not 1–32 letters/digits")
        if number in seen:
            raise _bad_staff(i, "staff_number", f"{number} appears twice")
        seen.add(number)
        name = item.get("name")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME:
            raise _bad_staff(i, "name", "is missing or longer than 64 characters")
        role = item.get("role")
        if role not in STATION_ROLES:
            raise _bad_staff(i, "role", f"{role!r} is not one of {', '.join(STATION_ROLES)}")
        verifier = item.get("verifier", "") or ""
        enrolment = item.get("enrolment_verifier", "") or ""
        if verifier and not valid_verifier(str(verifier)):
            raise _bad_staff(i, "verifier", "is not a scrypt verifier")
        if enrolment and not valid_verifier(str(enrolment)):
            raise _bad_staff(i, "enrolment_verifier", "is not a scrypt verifier")
        if not verifier and not enrolment:
            raise _bad_staff(i, "verifier", "and enrolment_verifier are both missing")
        card = item.get("card_uid")
        if card is not None and not (
            isinstance(card, str) and re.fullmatch(r"[0-9A-F]{8,20}", card)
        ):
            raise _bad_staff(i, "card_uid", "is not 8–20 upper-case hex digits")
        entries.append(
            StaffEntry(
                number,
                name.strip(),
                str(role),
                str(verifier),
                str(enrolment),
                card,
                bool(item.get("disabled", False)),
            )
        )
    return entries


def load_package_staff(station: Station, conn: Any, entries: list[StaffEntry]) -> dict[str, int]:
    """Inside the package import's transaction: add new people, update known ones (their
    own password and lock state stay), disable package accounts no longer listed."""
    now = station.clock.wall().isoformat()
    added = updated = 0
    for e in entries:
        existing = staff_sql.get(conn, e.staff_number)
        if existing is None:
            staff_sql.insert(
                conn,
                StaffRow(
                    e.staff_number,
                    e.name,
                    e.role,
                    e.verifier,
                    e.enrolment_verifier,
                    "package",
                    e.card_uid,
                    e.disabled,
                    now if e.verifier else None,
                    0,
                    None,
                    now,
                    "package",
                ),
            )
            added += 1
        else:
            staff_sql.update_from_package(
                conn,
                e.staff_number,
                name=e.name,
                role=e.role,
                disabled=e.disabled,
                card_uid=e.card_uid,
            )
            updated += 1
    disabled = staff_sql.disable_missing_package_staff(conn, [e.staff_number for e in entries])
    return {"added": added, "updated": updated, "disabled": disabled}


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Accounts:
    def __init__(self, station: Station) -> None:
        self.station = station

    def policy(self) -> PasswordPolicy:
        package = packages.latest(self.station.store)
        settings = package.content.get("settings", {}) if package else {}
        security = settings.get("security") if isinstance(settings, dict) else None
        return PasswordPolicy.from_settings(security if isinstance(security, dict) else None)

    def list(self) -> list[StaffRow]:
        with self.station.store.reading() as conn:
            return staff_sql.list_all(conn)

    def any_accounts(self) -> bool:
        with self.station.store.reading() as conn:
            return staff_sql.count_active(conn) > 0

    def person(self, staff_number: str) -> Person | None:
        with self.station.store.reading() as conn:
            row = staff_sql.get(conn, staff_number)
        return Person(row.staff_number, row.name, row.role) if row and not row.disabled else None

    # -- signing in --

    def sign_in(
        self,
        staff_number: str,
        secret: str,
        *,
        new_password: str | None = None,
        purpose: str = "",
    ) -> Person:
        """The person, if the account exists, is enabled and not locked, and `secret` is its
        password (or its one-time enrolment code). Raises SignInRefused (nothing said about
        which of number or password was wrong) or PasswordChangeRequired (then call again
        with `new_password`). Every outcome is audited."""
        number = staff_number.strip()
        policy = self.policy()
        now = self.station.clock.wall()
        with self.station.store.transaction() as conn:
            row = staff_sql.get(conn, number) if STAFF_NUMBER.match(number) else None
            if row is None or row.disabled:
                audit(
                    self.station,
                    conn,
                    None,
                    "signin_failed",
                    {
                        "staff_number": number[:32],
                        "reason": "unknown" if row is None else "disabled",
                        "purpose": purpose,
                    },
                )
                failure: KioskError | None = _wrong(policy)
            else:
                failure = self._check(conn, row, secret, new_password, policy, now, purpose)
            if failure is None:
                assert row is not None
                person = Person(row.staff_number, row.name, row.role)
                audit(self.station, conn, person, "signed_in", {"purpose": purpose})
        if failure is not None:
            raise failure
        self._keep_slot(person.staff_number, new_password or secret)
        return person

    def _keep_slot(self, staff_number: str, password: str) -> None:
        """After a sign-in: the person's own key slot exists and matches their password,
        and no disabled or removed account keeps one. Never fails the sign-in."""
        store = self.station.store
        keyslots = DataDir(store.path.parent).keyslots
        station_id = self.station.station_id
        try:
            with store.reading() as conn:
                row = staff_sql.get(conn, staff_number)
                active = {r.staff_number for r in staff_sql.list_all(conn) if not r.disabled}
            stamp = (row.password_changed_at or "") if row else ""
            if store.key and keys.staff_slot_stamp(keyslots, station_id, staff_number) != stamp:
                keys.put_staff_slot(keyslots, store.key, station_id, staff_number, password, stamp)
            keys.drop_staff_slots(keyslots, station_id, active)
        except Exception:  # the sign-in stands; the next one tries again
            log.warning("could not update the staff key slot", exc_info=True)

    def _check(
        self,
        conn: Any,
        row: StaffRow,
        secret: str,
        new_password: str | None,
        policy: PasswordPolicy,
        now: datetime,
        purpose: str,
    ) -> KioskError | None:
        """None if signed in; else the error to raise after the transaction commits (so
        the failure and its audit event are kept)."""
        until = locked_until(FailureCount(row.failures, _parse_time(row.last_failure_at)), policy)
        if until is not None and now < until:
            audit(
                self.station,
                conn,
                None,
                "signin_refused_locked",
                {"staff_number": row.staff_number, "until": until.isoformat(), "purpose": purpose},
            )
            return SignInRefused(
                f"账号 {row.staff_number} 因多次密码错误已锁定，请在 {until:%H:%M} 后重试，或请考点管理员解锁。",
                f"Account {row.staff_number} is locked after repeated wrong passwords; try again "
                f"after {until:%H:%M} or ask the venue administrator to unlock it.",
            )
        if until is not None:  # the lock has run out: a fresh count
            staff_sql.reset_failures(conn, row.staff_number)
        by_password = bool(row.verifier) and check_secret(secret, row.verifier)
        by_code = (
            not by_password
            and bool(row.enrolment_verifier)
            and check_secret(secret, row.enrolment_verifier)
        )
        if not (by_password or by_code):
            failures = staff_sql.record_failure(conn, row.staff_number, now.isoformat())
            audit(
                self.station,
                conn,
                None,
                "signin_failed",
                {
                    "staff_number": row.staff_number,
                    "reason": "wrong_secret",
                    "failures": failures,
                    "purpose": purpose,
                },
            )
            if failures == policy.max_failures:
                audit(
                    self.station,
                    conn,
                    None,
                    "locked_out",
                    {"staff_number": row.staff_number, "minutes": policy.lockout_minutes},
                )
                return SignInRefused(
                    f"密码错误次数过多，账号已锁定 {policy.lockout_minutes} 分钟。",
                    f"Too many wrong passwords: the account is locked for "
                    f"{policy.lockout_minutes} minutes.",
                )
            return _wrong(policy)
        expired = by_password and policy.expired(_parse_time(row.password_changed_at), now)
        if by_code or expired:
            if new_password is None:
                return PasswordChangeRequired(
                    "首次登录或密码已过期：请设置新密码。",
                    "First sign-in or the password has expired: choose a new password.",
                )
            check_password(
                new_password, staff_number=row.staff_number, name=row.name, policy=policy
            )
            if row.verifier and check_secret(new_password, row.verifier):
                return PasswordChangeRequired(
                    "新密码不能与旧密码相同。", "The new password must differ from the old one."
                )
            staff_sql.set_password(
                conn, row.staff_number, make_verifier(new_password), now.isoformat()
            )
            audit(
                self.station,
                conn,
                Person(row.staff_number, row.name, row.role),
                "password_set",
                {"reason": "enrolment" if by_code else "expired"},
            )
        staff_sql.reset_failures(conn, row.staff_number)
        return None

    # -- the venue administrator's account management --

    def add_local(
        self, by: Person, staff_number: str, name: str, role: str, password: str
    ) -> Person:
        require(by, "accounts.manage")
        number = staff_number.strip()
        if not STAFF_NUMBER.match(number):
            raise AccountError(
                "工号只能由 1–32 位字母、数字、点、短横线或下划线组成。",
                "A staff number is 1–32 letters, digits, dots, dashes or underscores.",
            )
        if role not in STATION_ROLES:
            raise AccountError(
                f"未知角色 {role}。", f"Unknown role {role}.", detail=", ".join(STATION_ROLES)
            )
        name = name.strip()
        if not 0 < len(name) <= MAX_NAME:
            raise AccountError(
                "请填写姓名（最多64个字符）。", "Give a name (at most 64 characters)."
            )
        check_password(password, staff_number=number, name=name, policy=self.policy())
        now = self.station.clock.wall().isoformat()
        with self.station.store.transaction() as conn:
            if staff_sql.get(conn, number) is not None:
                raise AccountError(
                    f"工号 {number} 已存在。", f"Staff number {number} already exists."
                )
            staff_sql.insert(
                conn,
                StaffRow(
                    number,
                    name,
                    role,
                    make_verifier(password),
                    "",
                    "local",
                    None,
                    False,
                    now,
                    0,
                    None,
                    now,
                    by.staff_number,
                ),
            )
            audit(
                self.station,
                conn,
                by,
                "account_added",
                {"staff_number": number, "name": name, "role": role},
            )
        return Person(number, name, role)

    def set_disabled(self, by: Person, staff_number: str, disabled: bool) -> None:
        require(by, "accounts.manage")
        if staff_number == by.staff_number and disabled:
            raise AccountError("不能停用自己的账号。", "You cannot disable your own account.")
        with self.station.store.transaction() as conn:
            self._existing(conn, staff_number)
            staff_sql.set_disabled(conn, staff_number, disabled)
            audit(
                self.station,
                conn,
                by,
                "account_disabled" if disabled else "account_enabled",
                {"staff_number": staff_number},
            )
        if disabled:  # their password no longer opens the station
            with self.station.store.reading() as conn:
                active = {r.staff_number for r in staff_sql.list_all(conn) if not r.disabled}
            keyslots = DataDir(self.station.store.path.parent).keyslots
            keys.drop_staff_slots(keyslots, self.station.station_id, active)

    def unlock(self, by: Person, staff_number: str) -> None:
        require(by, "accounts.manage")
        with self.station.store.transaction() as conn:
            self._existing(conn, staff_number)
            staff_sql.reset_failures(conn, staff_number)
            audit(self.station, conn, by, "account_unlocked", {"staff_number": staff_number})

    def change_password(self, person: Person, old: str, new: str) -> None:
        with self.station.store.transaction() as conn:
            row = self._existing(conn, person.staff_number)
            if not check_secret(old, row.verifier):
                raise SignInRefused("原密码不正确。", "The current password is wrong.")
            check_password(new, staff_number=row.staff_number, name=row.name, policy=self.policy())
            staff_sql.set_password(
                conn, row.staff_number, make_verifier(new), self.station.clock.wall().isoformat()
            )
            audit(self.station, conn, person, "password_set", {"reason": "changed"})

    def _existing(self, conn: Any, staff_number: str) -> StaffRow:
        row = staff_sql.get(conn, staff_number)
        if row is None:
            raise AccountError(
                f"没有工号为 {staff_number} 的账号。", f"There is no account {staff_number}."
            )
        return row


def _wrong(policy: PasswordPolicy) -> SignInRefused:
    n = policy.max_failures
    return SignInRefused(
        f"工号或密码不正确。连续错误 {n} 次后账号将被锁定。",
        f"Wrong staff number or password. After {n} wrong tries in a row the account is locked.",
    )
