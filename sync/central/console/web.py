"""The console's HTTP plumbing: templates, language, cookies, the signed-in guard, CSRF.

Session cookie: random token, HttpOnly, SameSite=Strict, Secure when the request came over
HTTPS (behind a proxy, run uvicorn with --proxy-headers so the scheme is the client's).
Every POST carries the session's CSRF token in a hidden field and is refused without it;
the sign-in form, before there is a session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from sync.central.console import when
from sync.central.home import CentralHome
from sync.central.staff import Session, StaffAccounts, allowed, same_token
from sync.credentials import CENTRE_ROLES, PasswordPolicy
from sync.errors import SyncError

SESSION_COOKIE = "ek_session"
LANG_COOKIE = "ek_lang"
LOGIN_CSRF_COOKIE = "ek_login_csrf"
MAX_FORM_BYTES = 16 * 1024
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class NotSignedIn(Exception):
    """Raised by `require`; answered with a redirect to the sign-in page."""


class PasswordExpired(Exception):
    """Raised by `require` for a session whose password must be changed first; answered
    with a redirect to the change-password page."""


class Forbidden(SyncError):
    """Signed in, but the role may not do this."""


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    session: Session | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    zone = getattr(request.app.state, "console_time_zone", UTC)
    now = datetime.now(UTC)

    html = _env.get_template(template).render(
        t=t,
        lang=lang,
        session=session,
        role_label=(lambda r: t(*CENTRE_ROLES.get(r, (r, r)))),
        can=(lambda needed: session is not None and allowed(session.role, needed)),
        path=request.url.path,
        when=lambda stamp: when.html(stamp, zone, lang, now),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


async def form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, bounded; the first value of each field."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def require(
    request: Request,
    accounts: StaffAccounts,
    needed: str = "viewer",
    *,
    touch: bool = True,
    expired_ok: bool = False,
) -> Session:
    """The signed-in session with a role of at least `needed`; NotSignedIn, PasswordExpired
    (unless `expired_ok`: the change-password page and signing out) or Forbidden."""
    session = accounts.session(request.cookies.get(SESSION_COOKIE), touch=touch)
    if session is None:
        raise NotSignedIn()
    if session.password_expired and not expired_ok:
        raise PasswordExpired()
    if not allowed(session.role, needed):
        raise Forbidden(
            "您的角色无权执行此操作。",
            "Your role may not do this.",
            detail=f"{session.username} ({session.role}) needs {needed}",
        )
    return session


def check_csrf(session: Session, fields: dict[str, str]) -> None:
    if not same_token(session.csrf, fields.get("csrf")):
        raise Forbidden(
            "页面已过期或请求来源不明，请刷新页面后重试。",
            "The page has expired or the request did not come from it; reload and try again.",
            detail="csrf",
        )


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/"
    )


def login_page(
    request: Request, error: tuple[str, str] | None = None, status: int = 200
) -> Response:
    return with_form_token(request, "login.html", status, error=error)


def with_form_token(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A page with a form posted before anyone signs in (sign-in, receipt check): its CSRF
    token is a double-submit cookie, compared with the hidden field by `form_token_ok`."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, template, None, status, csrf=token, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def form_token_ok(request: Request, fields: dict[str, str]) -> bool:
    return same_token(request.cookies.get(LOGIN_CSRF_COOKIE, ""), fields.get("csrf"))


class ConsoleContext:
    """What every console route needs: the accounts (with the centre's password policy),
    the signed-in guard, the audit and reads off the event loop."""

    def __init__(self, home: CentralHome, policy: PasswordPolicy) -> None:
        self.home = home
        self.policy = policy

    def accounts(self) -> StaffAccounts:
        return StaffAccounts(self.home.store, self.policy)

    async def guard(
        self,
        request: Request,
        needed: str = "viewer",
        touch: bool = True,
        expired_ok: bool = False,
    ) -> Session:
        return await run_in_threadpool(
            require, request, self.accounts(), needed, touch=touch, expired_ok=expired_ok
        )

    async def audit(
        self, request: Request, session: Session, action: str, target: str = ""
    ) -> None:
        await run_in_threadpool(
            self.accounts().audit, session.username, action, target, "", client_of(request)
        )

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(fn, self.home.store, *args)
