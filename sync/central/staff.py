"""The centre's staff: accounts, sign-in with lock-out, sessions, and the audit of who read
or changed what.

Passwords follow the same rules as at the stations and are checked by the same code
(`sync.credentials`); only scrypt verifiers are stored. A session is a random token the
browser keeps in a cookie; the database holds its SHA-256 only, so a copy of the database
does not let anyone in. Sessions end after `SESSION_HOURS` or `IDLE_MINUTES` without a
page request (the console's live polling does not count as activity).

Passwords expire after the policy's `max_age_days` (90 by default, as at the stations), and
a password the administrator set (`user passwd`) must be changed by its owner at the next
sign-in: such a session is marked `password_expired` and the console lets it reach only
the change-password page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sync.central.db import Tx
from sync.central.storage import CentralStore
from sync.credentials import (
    CENTRE_ROLES,
    CredentialError,
    FailureCount,
    PasswordPolicy,
    WeakPassword,
    check_password,
    check_secret,
    locked_until,
    make_verifier,
)

SESSION_HOURS = 12
EXPIRY_WARNING_DAYS = 14  # pages say when the password expires this soon
IDLE_MINUTES = 30
ROLE_RANK = {"viewer": 1, "operator": 2, "admin": 3}
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
MAX_DETAIL = 500
_DUMMY: list[str] = []  # a verifier to check against for unknown names (same timing)


class SignInRefused(CredentialError):
    """Wrong name or password, a disabled account, or a lock-out; zh/en say which."""


class StaffError(CredentialError):
    """A staff-management request that cannot be done (unknown user, bad role, ...)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def allowed(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may: viewer < operator < admin."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]


@dataclass(frozen=True)
class StaffMember:
    username: str
    display_name: str
    role: str
    disabled: bool
    failures: int
    locked_until: datetime | None
    created_at: str
    password_changed: str = ""
    password_expired: bool = False  # too old, or set by the administrator


@dataclass(frozen=True)
class Session:
    """A signed-in person as a request sees them."""

    username: str
    display_name: str
    role: str
    csrf: str
    token_sha256: str
    password_expired: bool = False  # only the change-password page until it is changed
    password_expires: str = ""  # when it expires, if within EXPIRY_WARNING_DAYS


class StaffAccounts:
    """Accounts, sessions and audit over the central store. Thread-safe (stateless)."""

    def __init__(
        self,
        store: CentralStore,
        policy: PasswordPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.policy = policy or PasswordPolicy()
        self.clock = clock

    # -- accounts -----------------------------------------------------------------------

    def add(
        self,
        username: str,
        display_name: str,
        role: str,
        password: str,
        *,
        by: str = "",
        client: str = "",
    ) -> None:
        """Create an account (audited as done by `by`, in the same transaction). Raises
        StaffError (bad name or role, exists) or WeakPassword; nothing is stored then."""
        if not USERNAME.match(username):
            raise StaffError(
                "用户名只能由字母、数字和 . _ - 组成，2–64 个字符。",
                "A user name is 2-64 letters, digits and . _ - only.",
                detail=username[:80],
            )
        if role not in CENTRE_ROLES:
            raise StaffError(
                f"角色 {role!r} 不存在，可选：viewer、operator、admin。",
                f"There is no role {role!r}; choose viewer, operator or admin.",
            )
        check_password(password, staff_number=username, name=display_name, policy=self.policy)
        now = _iso(self.clock())
        with self.store.db.transaction() as tx:
            if tx.one("SELECT 1 FROM staff WHERE username = ?", (username,)):
                raise StaffError(
                    f"用户 {username} 已存在，未做任何更改。",
                    f"User {username} already exists; nothing was changed.",
                )
            tx.run(
                "INSERT INTO staff (username, display_name, role, verifier, changed_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (username, display_name or username, role, make_verifier(password), now, now),
            )
            if by:
                self._audit(tx, by, "user.add", username, f"role {role}", client)

    def set_disabled(
        self, username: str, disabled: bool, *, by: str = "", client: str = ""
    ) -> None:
        """Disable (or enable) an account; a disabled account's sessions end at once."""
        with self.store.db.transaction() as tx:
            if not tx.run(
                "UPDATE staff SET disabled = ?, failures = 0 WHERE username = ?",
                (int(disabled), username),
            ):
                raise StaffError(f"没有用户 {username}。", f"There is no user {username}.")
            if disabled:
                tx.run("DELETE FROM staff_sessions WHERE username = ?", (username,))
            if by:
                action = "user.disable" if disabled else "user.enable"
                self._audit(tx, by, action, username, "", client)

    def set_password(
        self,
        username: str,
        password: str,
        *,
        by: str,
        client: str = "",
        must_change: bool = True,
    ) -> None:
        """The administrator sets `username`'s password (the same rules). Unless
        `must_change` is False its owner must choose a new one at the next sign-in, so the
        administrator does not keep knowing it. The account's sessions end; audited."""
        now = _iso(self.clock())
        with self.store.db.transaction() as tx:
            row = tx.one(
                "SELECT display_name FROM staff WHERE username = ?" + tx.lock_suffix,
                (username,),
            )
            if row is None:
                raise StaffError(f"没有用户 {username}。", f"There is no user {username}.")
            check_password(password, staff_number=username, name=row[0], policy=self.policy)
            tx.run(
                "UPDATE staff SET verifier = ?, changed_at = ?, must_change = ?, failures = 0, "
                "last_failure = NULL WHERE username = ?",
                (make_verifier(password), now, int(must_change), username),
            )
            tx.run("DELETE FROM staff_sessions WHERE username = ?", (username,))
            detail = "must change at next sign-in" if must_change else ""
            self._audit(tx, by, "user.passwd", username, detail, client)

    def change_own(self, session: Session, old: str, new: str, client: str) -> None:
        """The signed-in person changes their own password: the old one first (a wrong one
        counts towards the lock-out like a failed sign-in), then the same rules, and not
        the old one again. Their other sessions end; this one stays. Audited.
        Raises SignInRefused (wrong old password, locked) or WeakPassword."""
        now = self.clock()
        with self.store.db.transaction() as tx:
            refusal = self._change_own(tx, session, old, new, client, now)
        if refusal is not None:
            raise refusal

    def _change_own(
        self, tx: Tx, session: Session, old: str, new: str, client: str, now: datetime
    ) -> SignInRefused | None:
        row = tx.one(
            "SELECT display_name, verifier, failures FROM staff WHERE username = ?"
            + tx.lock_suffix,
            (session.username,),
        )
        if row is None:
            return _wrong()
        display, verifier, failures = row
        if not check_secret(old, verifier):
            failures = int(failures) + 1
            tx.run(
                "UPDATE staff SET failures = ?, last_failure = ? WHERE username = ?",
                (failures, _iso(now), session.username),
            )
            self._audit(tx, session.username, "password.change_failed", "", "", client)
            if failures >= self.policy.max_failures:
                tx.run("DELETE FROM staff_sessions WHERE username = ?", (session.username,))
                self._audit(tx, session.username, "signin.lockout", "", "", client)
                return _locked(now + self.policy.lockout())
            return SignInRefused("当前密码不正确。", "The current password is wrong.")
        if new == old:
            raise WeakPassword(
                "新密码不能与当前密码相同。", "The new password must differ from the current one."
            )
        check_password(new, staff_number=session.username, name=display, policy=self.policy)
        tx.run(
            "UPDATE staff SET verifier = ?, changed_at = ?, must_change = 0, failures = 0, "
            "last_failure = NULL WHERE username = ?",
            (make_verifier(new), _iso(now), session.username),
        )
        tx.run(
            "DELETE FROM staff_sessions WHERE username = ? AND token_sha256 <> ?",
            (session.username, session.token_sha256),
        )
        self._audit(tx, session.username, "password.changed", "", "", client)
        return None

    def _expired(self, changed_at: str | None, must_change: object) -> bool:
        return bool(must_change) or self.policy.expired(_parse(changed_at), self.clock())

    def _expires_soon(self, changed_at: str | None) -> str:
        changed = _parse(changed_at)
        if not self.policy.max_age_days or changed is None:
            return ""
        expires = changed + timedelta(days=self.policy.max_age_days)
        soon = expires - self.clock() <= timedelta(days=EXPIRY_WARNING_DAYS)
        return _iso(expires) if soon else ""

    def members(self) -> list[StaffMember]:
        rows = self.store.read(
            "SELECT username, display_name, role, disabled, failures, last_failure, created_at, "
            "changed_at, must_change FROM staff ORDER BY username"
        )
        out = []
        for r in rows:
            state = FailureCount(int(r[4]), _parse(r[5]))
            until = locked_until(state, self.policy)
            out.append(
                StaffMember(
                    username=r[0],
                    display_name=r[1],
                    role=r[2],
                    disabled=bool(r[3]),
                    failures=int(r[4]),
                    locked_until=until if until and until > self.clock() else None,
                    created_at=r[6],
                    password_changed=r[7],
                    password_expired=self._expired(r[7], r[8]),
                )
            )
        return out

    # -- signing in -----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, client: str) -> tuple[str, Session]:
        """A new session token (for the cookie) and the session; SignInRefused otherwise.

        Every failure and every lock-out is audited; the wrong-name and wrong-password
        answers are the same, and take the same time.
        """
        now = self.clock()
        # Refusals are raised after the transaction commits: the failure count and the
        # audit record must survive the refusal.
        with self.store.db.transaction() as tx:
            refusal, found = self._try_sign_in(tx, username[:64], password, client, now)
        if refusal is not None or found is None:
            raise refusal or _wrong()
        return found

    def _try_sign_in(
        self, tx: Tx, username: str, password: str, client: str, now: datetime
    ) -> tuple[SignInRefused | None, tuple[str, Session] | None]:
        row = tx.one(
            "SELECT display_name, role, verifier, disabled, failures, last_failure, changed_at, "
            "must_change FROM staff WHERE username = ?" + tx.lock_suffix,
            (username,),
        )
        if row is None:
            if not _DUMMY:
                _DUMMY.append(make_verifier(secrets.token_hex(16)))
            check_secret(password, _DUMMY[0])
            self._audit(tx, username, "signin.failed", "", "unknown user", client)
            return _wrong(), None
        display, role, verifier, disabled, failures, last, changed, must_change = row
        until = locked_until(FailureCount(int(failures), _parse(last)), self.policy)
        if until is not None and until > now:
            self._audit(tx, username, "signin.locked", "", f"until {_iso(until)}", client)
            return _locked(until), None
        if until is not None:  # the lock-out is over: count afresh
            failures = 0
        if bool(disabled):
            self._audit(tx, username, "signin.failed", "", "disabled", client)
            return SignInRefused(
                "该账号已停用，请联系中心管理员。",
                "This account is disabled; ask the centre's administrator.",
            ), None
        if not check_secret(password, verifier):
            failures = int(failures) + 1
            tx.run(
                "UPDATE staff SET failures = ?, last_failure = ? WHERE username = ?",
                (failures, _iso(now), username),
            )
            self._audit(tx, username, "signin.failed", "", f"failure {failures}", client)
            if failures >= self.policy.max_failures:
                self._audit(tx, username, "signin.lockout", "", "", client)
                return _locked(now + self.policy.lockout()), None
            return _wrong(), None
        tx.run("UPDATE staff SET failures = 0, last_failure = NULL WHERE username = ?", (username,))
        tx.run("DELETE FROM staff_sessions WHERE expires_at < ?", (_iso(now),))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        tx.run(
            "INSERT INTO staff_sessions (token_sha256, username, csrf, created_at, "
            "last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                token_hash(token),
                username,
                csrf,
                _iso(now),
                _iso(now),
                _iso(now + timedelta(hours=SESSION_HOURS)),
            ),
        )
        expired = self._expired(changed, must_change)
        self._audit(tx, username, "signin.ok", "", "password expired" if expired else "", client)
        return None, (token, Session(username, display, role, csrf, token_hash(token), expired))

    def session(self, token: str | None, *, touch: bool = True) -> Session | None:
        """The live session of `token`, or None (unknown, expired, idle, account disabled).

        `touch` counts the request as activity (page views do; live polling does not)."""
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        now = self.clock()
        with self.store.db.transaction() as tx:
            row = tx.one(
                "SELECT s.username, st.display_name, st.role, s.csrf, s.last_seen, "
                "s.expires_at, st.disabled, st.changed_at, st.must_change "
                "FROM staff_sessions s JOIN staff st "
                "ON st.username = s.username WHERE s.token_sha256 = ?",
                (digest,),
            )
            if row is None:
                return None
            last_seen, expires = _parse(row[4]), _parse(row[5])
            assert last_seen is not None and expires is not None
            if bool(row[6]) or now >= expires or now - last_seen > timedelta(minutes=IDLE_MINUTES):
                tx.run("DELETE FROM staff_sessions WHERE token_sha256 = ?", (digest,))
                return None
            if touch:
                tx.run(
                    "UPDATE staff_sessions SET last_seen = ? WHERE token_sha256 = ?",
                    (_iso(now), digest),
                )
        must_change, soon = self._expired(row[7], row[8]), self._expires_soon(row[7])
        return Session(row[0], row[1], row[2], row[3], digest, must_change, soon)

    # -- the live stream: one per session --------------------------------------------------

    def claim_stream(self, session: Session) -> str:
        """A new live stream of `session`: its id replaces any older one's, which ends at
        its next check (`stream_holder`), in whichever central process it runs."""
        stream = secrets.token_hex(8)
        with self.store.db.transaction() as tx:
            tx.run(
                "UPDATE staff_sessions SET stream = ? WHERE token_sha256 = ?",
                (stream, session.token_sha256),
            )
        return stream

    def stream_holder(self, session: Session) -> str | None:
        rows = self.store.read(
            "SELECT stream FROM staff_sessions WHERE token_sha256 = ?", (session.token_sha256,)
        )
        return str(rows[0][0]) if rows and rows[0][0] else None

    def sign_out(self, session: Session, client: str) -> None:
        with self.store.db.transaction() as tx:
            tx.run("DELETE FROM staff_sessions WHERE token_sha256 = ?", (session.token_sha256,))
            self._audit(tx, session.username, "signout", "", "", client)

    # -- audit ----------------------------------------------------------------------------

    def audit(
        self, who: str, action: str, target: str = "", detail: str = "", client: str = ""
    ) -> None:
        """Record that `who` did `action` on `target` (a view of personal data, an export,
        a decision, an account change)."""
        with self.store.db.transaction() as tx:
            self._audit(tx, who, action, target, detail, client)

    def record(
        self, tx: Tx, who: str, action: str, target: str = "", detail: str = "", client: str = ""
    ) -> None:
        """`audit` inside the caller's transaction: the act and its record commit together."""
        self._audit(tx, who, action, target, detail, client)

    def _audit(self, tx: Tx, who: str, action: str, target: str, detail: str, client: str) -> None:
        tx.run(
            "INSERT INTO central_audit (at, who, action, target, detail, client) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                _iso(self.clock()),
                who[:64],
                action[:64],
                target[:200],
                detail[:MAX_DETAIL],
                client[:100],
            ),
        )

    def audit_log(self, limit: int = 200) -> list[tuple[str, str, str, str, str, str]]:
        rows = self.store.read(
            "SELECT at, who, action, target, detail, client FROM central_audit "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def _wrong() -> SignInRefused:
    return SignInRefused("用户名或密码不正确。", "Wrong user name or password.")


def _locked(until: datetime) -> SignInRefused:
    local = until.astimezone().strftime("%H:%M")
    return SignInRefused(
        f"连续输错密码次数过多，账号已锁定至 {local}。",
        f"Too many wrong passwords; the account is locked until {local}.",
    )
