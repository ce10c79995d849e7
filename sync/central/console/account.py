"""The signed-in person's own password: /console/password (修改密码).

Reached from every page's header, and the only page a session whose password has expired
(or was set by the administrator) may open. The old password first, the new one twice, the
same rules as everywhere (sync.credentials); CSRF like every POST; audited.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.central.console.web import (
    SESSION_COOKIE,
    ConsoleContext,
    check_csrf,
    client_of,
    form,
    redirect,
    render,
)
from sync.credentials import CredentialError


def add_account_routes(app: FastAPI, ctx: ConsoleContext) -> None:
    @app.get("/console/password", include_in_schema=False)
    async def password_form(request: Request, done: str = "") -> Response:
        session = await ctx.guard(request, expired_ok=True)
        return render(
            request, "password.html", session, error=None, done=bool(done),
            max_age=ctx.policy.max_age_days,
        )  # fmt: skip

    @app.post("/console/password", include_in_schema=False)
    async def password_change(request: Request) -> Response:
        session = await ctx.guard(request, expired_ok=True)
        fields = await form(request)
        check_csrf(session, fields)
        new = fields.get("new", "")
        try:
            if new != fields.get("confirm", ""):
                raise CredentialError("两次输入的新密码不一致。", "The two new passwords differ.")
            await run_in_threadpool(
                partial(
                    ctx.accounts().change_own,
                    session,
                    fields.get("old", ""),
                    new,
                    client_of(request),
                )
            )
        except CredentialError as exc:
            still = await run_in_threadpool(
                ctx.accounts().session, request.cookies.get(SESSION_COOKIE)
            )
            if still is None:  # locked out by wrong old passwords: the session has ended
                return redirect("/console/login")
            return render(
                request, "password.html", still, 400, error=(exc.zh, exc.en), done=False,
                max_age=ctx.policy.max_age_days,
            )  # fmt: skip
        return redirect("/console/password?done=1")
