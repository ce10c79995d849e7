"""The exam centre's web console (server-rendered pages under /console) and the public
receipt check (/receipt), mounted on the central service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from sync.central.home import CentralHome


def add_console(app: FastAPI, home: CentralHome) -> None:
    from sync.central.console.receipt import add_receipt_routes
    from sync.central.console.routes import add_console_routes

    add_console_routes(app, home)
    add_receipt_routes(app, home)
