"""The exam centre's web console (server-rendered pages under /console) and the public
receipt check (/receipt), mounted on the central service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from sync.central.home import CentralHome


def add_console(app: FastAPI, home: CentralHome) -> None:
    """Mount the console; reads HOME/config.json now, so a bad time zone, password policy
    or stream bound stops the service at start, with the reason."""
    from sync.central import centre_settings
    from sync.central.console.account import add_account_routes
    from sync.central.console.hired import add_hired_gun_routes
    from sync.central.console.receipt import add_receipt_routes
    from sync.central.console.routes import add_console_routes
    from sync.central.console.stream import add_stream_route
    from sync.central.console.web import ConsoleContext

    settings = centre_settings.load(home.home)
    app.state.console_time_zone = settings.time_zone
    ctx = ConsoleContext(home, settings.policy)
    add_console_routes(app, ctx)
    add_account_routes(app, ctx)
    add_hired_gun_routes(app, ctx)
    add_stream_route(app, ctx, settings.stream)
    add_receipt_routes(app, home)
