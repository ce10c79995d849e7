"""The console's pages under /console: sign-in, overview, progress, flagged check-ins with
photos, incidents, submissions, problems, inspections, a candidate's timeline, hired guns,
exports, users and the audit log. Every view of personal data and every export is audited.
"""

from __future__ import annotations

import csv
import io
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.central.console import queries
from sync.central.console.web import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    TEMPLATES,
    ConsoleContext,
    Forbidden,
    NotSignedIn,
    PasswordExpired,
    check_csrf,
    client_of,
    form,
    form_token_ok,
    login_page,
    redirect,
    render,
    set_session_cookie,
)
from sync.central.staff import SignInRefused, StaffError
from sync.credentials import CredentialError

STATIC = TEMPLATES.parent / "static"


def add_console_routes(app: FastAPI, ctx: ConsoleContext) -> None:
    """Mount the console on `app` (the station API's app; same process, same database)."""
    home = ctx.home
    accounts, guard, audit, read = ctx.accounts, ctx.guard, ctx.audit, ctx.read

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/console/api/"):
            return JSONResponse({"reason": "not_signed_in"}, status_code=401)
        return redirect("/console/login")

    @app.exception_handler(PasswordExpired)
    async def password_expired(request: Request, _exc: PasswordExpired) -> Response:
        if request.url.path.startswith("/console/api/"):
            return JSONResponse({"reason": "password_expired"}, status_code=401)
        return redirect("/console/password")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "message.html", None, 403, zh=exc.zh, en=exc.en)

    @app.get("/console", include_in_schema=False)
    async def console_root() -> Response:
        return redirect("/console/")

    @app.get("/console/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return login_page(request)

    @app.post("/console/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        fields = await form(request)
        if not form_token_ok(request, fields):
            return login_page(
                request, ("页面已过期，请重试。", "The page expired; try again."), 403
            )
        try:
            token, _ = await run_in_threadpool(
                accounts().sign_in,
                fields.get("username", "").strip(),
                fields.get("password", ""),
                client_of(request),
            )
        except (SignInRefused, CredentialError) as exc:
            return login_page(request, (exc.zh, exc.en), 401)
        response = redirect("/console/")
        set_session_cookie(response, request, token)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @app.post("/console/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        session = await guard(request, expired_ok=True)
        check_csrf(session, await form(request))
        await run_in_threadpool(accounts().sign_out, session, client_of(request))
        response = redirect("/console/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/console/lang/{lang}", include_in_schema=False)
    async def switch_language(lang: str, next: str = "/console/") -> Response:
        # Only a path on this site: never an open redirect.
        ok = next.startswith("/") and not next.startswith("//") and "\\" not in next
        response = redirect(next if ok else "/console/")
        response.set_cookie(LANG_COOKIE, "en" if lang == "en" else "zh", samesite="strict")
        return response

    @app.get("/console/static/console.js", include_in_schema=False)
    async def script() -> Response:
        return FileResponse(STATIC / "console.js", media_type="text/javascript")

    @app.get("/console/", include_in_schema=False)
    async def overview(request: Request) -> Response:
        session = await guard(request)
        stations = await read(queries.stations)
        totals = queries.sitting_totals(await read(queries.progress))
        live = await read(queries.live_counts)
        return render(
            request, "overview.html", session, stations=stations, totals=totals, live=live
        )

    @app.get("/console/api/live", include_in_schema=False)
    async def live(request: Request) -> Response:
        await guard(request, touch=False)  # polling is not activity: idle sessions still end
        return JSONResponse(await read(queries.live_counts), headers=SECURITY_HEADERS)

    @app.get("/console/progress", include_in_schema=False)
    async def progress(request: Request) -> Response:
        session = await guard(request)
        rows = await read(queries.progress)
        return render(
            request, "progress.html", session, rows=rows, totals=queries.sitting_totals(rows)
        )

    @app.get("/console/flagged", include_in_schema=False)
    async def flagged(request: Request, sitting: str = "") -> Response:
        session = await guard(request)
        rows = await read(queries.flagged_checkins, sitting or None)
        others: dict[str, Any] = {}
        for row in rows:
            for cid in row.suspects:
                if cid not in others:
                    others[cid] = await read(queries.checkin_photo_of, cid)
        await audit(request, session, "view.flagged", sitting)
        return render(request, "flagged.html", session, rows=rows, others=others, sitting=sitting)

    @app.post("/console/flagged/review", include_in_schema=False)
    async def review(request: Request) -> Response:
        """An operator's decision on a flagged check-in ("checkin") or an incident
        ("incident"): marked reviewed, by whom and when; audited."""
        session = await guard(request, "operator")
        fields = await form(request)
        check_csrf(session, fields)
        kind = "incident" if fields.get("kind") == "incident" else "checkin"
        ref = f"{fields.get('station_id', '')[:64]}:{fields.get('seq', '')[:20]}"
        note = fields.get("note", "")[:500]

        def mark() -> None:
            with home.store.db.transaction() as tx:
                tx.run("DELETE FROM reviews WHERE kind = ? AND ref = ?", (kind, ref))
                tx.run(
                    "INSERT INTO reviews (kind, ref, by_user, at, note) VALUES (?, ?, ?, ?, ?)",
                    (kind, ref, session.username, queries.since(0), note),
                )
                accounts().record(
                    tx, session.username, f"{kind}.reviewed", ref, "", client_of(request)
                )

        await run_in_threadpool(mark)
        return redirect("/console/incidents" if kind == "incident" else "/console/flagged")

    @app.get("/console/photo/{station_id}/{seq}", include_in_schema=False)
    async def photo(request: Request, station_id: str, seq: int) -> Response:
        session = await guard(request)
        found = await read(queries.photo, station_id[:64], seq)
        await audit(request, session, "view.photo", f"{station_id[:64]}:{seq}")
        if found is None:
            return Response(status_code=404, headers=SECURITY_HEADERS)
        return Response(found[1], media_type=found[0], headers=SECURITY_HEADERS)

    @app.get("/console/incidents", include_in_schema=False)
    async def incidents(request: Request, sitting: str = "") -> Response:
        session = await guard(request)
        rows = await read(queries.events_of_type, queries.INCIDENT, sitting or None)
        reviewed = await read(queries.reviewed, "incident")
        await audit(request, session, "view.incidents", sitting)
        return render(
            request, "incidents.html", session, rows=rows, sitting=sitting, reviewed=reviewed
        )

    @app.get("/console/submissions", include_in_schema=False)
    async def submissions(request: Request, sitting: str = "") -> Response:
        session = await guard(request)
        rows = await read(queries.events_of_type, queries.SUBMITTED, sitting or None)
        total = await read(queries.count_of_type, queries.SUBMITTED)
        await audit(request, session, "view.submissions", sitting)
        return render(request, "submissions.html", session, rows=rows, total=total, sitting=sitting)

    @app.get("/console/problems", include_in_schema=False)
    async def problems(request: Request) -> Response:
        session = await guard(request)
        report = await run_in_threadpool(home.report)
        transfers = await read(queries.unknown_transfer_keys)
        return render(request, "problems.html", session, report=report, transfers=transfers)

    @app.get("/console/inspections", include_in_schema=False)
    async def inspections(request: Request) -> Response:
        session = await guard(request)
        rows = await read(queries.last_inspections)
        stations = await read(queries.stations)
        return render(request, "inspections.html", session, rows=rows, stations=stations)

    @app.get("/console/candidate", include_in_schema=False)
    async def candidate(request: Request, id: str = "") -> Response:
        session = await guard(request)
        rows = await read(queries.timeline, id[:64]) if id else []
        if id:
            await audit(request, session, "view.candidate", id[:64])
        return render(request, "candidate.html", session, rows=rows, candidate_id=id[:64])

    @app.get("/console/export/flagged.csv", include_in_schema=False)
    async def export_flagged(request: Request, sitting: str = "") -> Response:
        session = await guard(request)
        rows = await read(queries.flagged_checkins, sitting or None)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["kind", "decision", "candidate_id", "ticket", "station_id", "at", "suspects",
             "recommendation", "reason", "invigilator", "reviewed_by"]
        )  # fmt: skip
        for r in rows:
            writer.writerow(
                [r.kind, r.decision, r.candidate_id, r.ticket, r.station_id, r.at,
                 " ".join(r.suspects), r.recommendation, r.reason, r.invigilator,
                 r.reviewed_by or ""]
            )  # fmt: skip
        await audit(request, session, "export.flagged", sitting)
        return Response(
            "\ufeff" + out.getvalue(),  # a BOM so Excel reads the Chinese right
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": 'attachment; filename="flagged-checkins.csv"',
            },
        )

    @app.get("/console/export/progress.csv", include_in_schema=False)
    async def export_progress(request: Request) -> Response:
        session = await guard(request)
        rows = await read(queries.progress)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["sitting_id", "venue_id", "expected", "admitted", "refused", "no_shows"])
        for r in rows:
            writer.writerow(
                [r["sitting_id"], r["venue_id"], r["expected"] if r["expected"] is not None
                 else "", r["admitted"], r["refused"],
                 r["no_shows"] if r["no_shows"] is not None else ""]
            )  # fmt: skip
        await audit(request, session, "export.progress")
        return Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": 'attachment; filename="checkin-progress.csv"',
            },
        )

    @app.get("/console/export/stats.{fmt}", include_in_schema=False)
    async def export_stats(request: Request, fmt: str, sitting: str = "") -> Response:
        """Issue 12's statistics across venues (sync/central/stats.py) as XLSX or PDF."""
        session = await guard(request)
        if fmt not in ("xlsx", "pdf"):
            return Response(status_code=404, headers=SECURITY_HEADERS)

        def build() -> bytes:
            from sync.central.stats import central_stats
            from sync.stats_export import write_pdf, write_xlsx

            result = central_stats(home, sitting_id=sitting or None)
            lang = "en" if request.cookies.get("ek_lang") == "en" else "zh_CN"
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / f"stats.{fmt}"
                (write_xlsx if fmt == "xlsx" else write_pdf)(
                    result, out, heading="ExamKiosk central", lang=lang
                )
                return out.read_bytes()

        data = await run_in_threadpool(build)
        await audit(request, session, f"export.stats.{fmt}", sitting)
        media = (
            "application/pdf"
            if fmt == "pdf"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return Response(
            data,
            media_type=media,
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="statistics.{fmt}"',
            },
        )

    @app.get("/console/users", include_in_schema=False)
    async def users(request: Request) -> Response:
        session = await guard(request, "admin")
        members = await run_in_threadpool(accounts().members)
        log = await run_in_threadpool(accounts().audit_log, 200)
        return render(request, "users.html", session, members=members, log=log, error=None)

    @app.post("/console/users", include_in_schema=False)
    async def users_change(request: Request) -> Response:
        session = await guard(request, "admin")
        fields = await form(request)
        check_csrf(session, fields)
        username = fields.get("username", "").strip()
        try:
            if fields.get("action") == "add":
                await run_in_threadpool(
                    partial(
                        accounts().add,
                        username,
                        fields.get("name", "").strip(),
                        fields.get("role", ""),
                        fields.get("password", ""),
                        by=session.username,
                        client=client_of(request),
                    )
                )
            elif fields.get("action") == "passwd":
                await run_in_threadpool(
                    partial(
                        accounts().set_password,
                        username,
                        fields.get("password", ""),
                        by=session.username,
                        client=client_of(request),
                        must_change=username != session.username,
                    )
                )
            elif fields.get("action") in ("disable", "enable"):
                if username == session.username:
                    raise StaffError("不能停用自己的账号。", "You cannot disable yourself.")
                await run_in_threadpool(
                    partial(
                        accounts().set_disabled,
                        username,
                        fields["action"] == "disable",
                        by=session.username,
                        client=client_of(request),
                    )
                )
            else:
                return redirect("/console/users")
        except CredentialError as exc:
            members = await run_in_threadpool(accounts().members)
            log = await run_in_threadpool(accounts().audit_log, 200)
            return render(
                request, "users.html", session, 400, members=members, log=log,
                error=(exc.zh, exc.en),
            )  # fmt: skip
        return redirect("/console/users")
