"""`examkiosk-central`: the central service's command line.

    examkiosk-central --home DIR [--db URL] init | serve | import-bundle FILE... |
                      report [--json] | register-station ... | public-keys | openapi |
                      user add|list|disable|enable | hired-guns --sitting S [--json]

Passphrase (for init, serve and import-bundle): $EXAMKIOSK_CENTRAL_PASSPHRASE, else
--passphrase-file F, else DIR/demo-passphrase (demo homes only), else asked on a terminal.
Exit status: 0 done, 1 refused or problems found (report --strict), 2 usage or setup error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from sync.central.errors import NoPassphrase
from sync.central.home import CentralHome
from sync.errors import SyncError

PASSPHRASE_ENV = "EXAMKIOSK_CENTRAL_PASSPHRASE"
DEMO_PASSPHRASE_FILE = "demo-passphrase"
DEFAULT_PORT = 8470


def resolve_passphrase(home: Path, passphrase_file: Path | None, *, confirm: bool = False) -> str:
    """The central passphrase from the environment, a file, a demo home, or a terminal."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if passphrase_file is not None:
        return passphrase_file.read_text("utf-8").rstrip("\r\n")
    demo = home / DEMO_PASSPHRASE_FILE
    if demo.exists():
        return demo.read_text("utf-8").rstrip("\r\n")
    if sys.stdin.isatty():
        return str(
            click.prompt(
                "Central key passphrase / 中心密钥口令",
                hide_input=True,
                confirmation_prompt=confirm,
            )
        )
    raise NoPassphrase()


class Context:
    def __init__(self, home: Path | None, db: str | None, passphrase_file: Path | None) -> None:
        self._home_dir = home
        self._db = db
        self._home: CentralHome | None = None
        self.passphrase_file = passphrase_file

    @property
    def home_dir(self) -> Path:
        if self._home_dir is None:
            raise click.UsageError("--home DIR (or $EXAMKIOSK_CENTRAL_HOME) is required.")
        return self._home_dir

    @property
    def home(self) -> CentralHome:
        if self._home is None:
            self._home = CentralHome(self.home_dir, self._db)
        return self._home

    def passphrase(self, *, confirm: bool = False) -> str:
        return resolve_passphrase(self.home_dir, self.passphrase_file, confirm=confirm)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="EXAMKIOSK_CENTRAL_HOME",
    default=None,
    help="Directory of the central service's keys and default database.",
)
@click.option(
    "--db",
    envvar="EXAMKIOSK_CENTRAL_DB",
    default=None,
    help="Database URL: postgresql://user@host/db (default: SQLite in --home).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File holding the central key passphrase.",
)
@click.version_option(package_name="examkiosk", message="%(version)s")
@click.pass_context
def cli(
    ctx: click.Context, home: Path | None, db: str | None, passphrase_file: Path | None
) -> None:
    """ExamKiosk central service: receives stations' events and bundles exactly once."""
    ctx.obj = Context(home, db, passphrase_file)


@cli.command()
@pass_ctx
def init(c: Context) -> None:
    """Create the home: central keys (wrapped by the passphrase) and the database."""
    public = c.home.init(c.passphrase(confirm=True))
    click.echo(f"Initialised {c.home_dir} ({c.home.store.kind}); central key id {public.key_id}")
    click.echo(json.dumps(public.to_dict()))


@cli.command("public-keys")
@pass_ctx
def public_keys(c: Context) -> None:
    """Print the central public keys (stations pin them)."""
    click.echo(json.dumps(c.home.public_keys().to_dict(), indent=2))


@cli.command("register-station")
@click.argument("station_id")
@click.option("--venue", "venue_id", required=True, help="Venue the station belongs to.")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help='JSON file with the station public keys {"sign": hex, "box": hex}.',
)
@click.option("--replace", is_flag=True, help="Replace the keys of a reinstalled station.")
@pass_ctx
def register_station(
    c: Context, station_id: str, venue_id: str, keys_file: Path, replace: bool
) -> None:
    """Register a station's public keys so its events and bundles are accepted."""
    from sync.crypto import PublicKeys

    try:
        document = json.loads(keys_file.read_text("utf-8"))
    except ValueError as exc:
        raise click.BadParameter(f"{keys_file} is not JSON: {exc}") from exc
    keys = PublicKeys.from_dict(document.get("public", document))
    c.home.register_station(station_id, venue_id, keys, replace=replace)
    click.echo(f"Station {station_id} registered for venue {venue_id} (key id {keys.key_id})")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option(
    "--no-bundles", is_flag=True, help="Serve without the central key (no bundle upload)."
)
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Proxies (nginx, HAProxy) whose X-Forwarded-Proto/For are trusted: over TLS at the "
    "proxy, the console's session cookie is then marked Secure.",
)
@click.option(
    "--docs", is_flag=True, help="Serve /docs and /openapi.json (off: see docs/openapi.json)."
)
@pass_ctx
def serve(
    c: Context,
    host: str,
    port: int,
    no_bundles: bool,
    tls_cert: str | None,
    tls_key: str | None,
    forwarded_allow_ips: str,
    docs: bool,
) -> None:
    """Serve the HTTP API (logs every call to stderr and HOME/central.log)."""
    import uvicorn

    from sync.central.app import create_app
    from sync.central.server import Server, listening_socket

    os.umask(0o077)  # the log, incoming bundles and the database: the service's user only
    keys = None if no_bundles else c.home.unlock(c.passphrase())
    c.home.store  # noqa: B018 - fail now, not on the first request, if the database is wrong
    handler = logging.FileHandler(c.home_dir / "central.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger("sync.central").addHandler(handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    click.echo(f"Serving {c.home_dir} ({c.home.store.kind}) on {host}:{port}", err=True)
    config = uvicorn.Config(
        create_app(c.home, keys, docs=docs),
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        # Bounds on what a client can hold: idle keep-alive, header size.
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=64 * 1024,
        # The console's live streams (minutes long) must not hold a restart up.
        timeout_graceful_shutdown=5,
    )
    Server(config).run(sockets=[listening_socket(host, port)])


@cli.command("import-bundle")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_ctx
def import_bundle(c: Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Import USB bundles (.ekb); a bundle imported again changes nothing.

    Each file is imported whole or not at all, on its own: a refused file is reported and
    the others still go in. Exit status 0 when every file was imported, 1 when any was
    refused (each refused file is named on stderr, and in --json with "ok": false).
    """
    keys = c.home.unlock(c.passphrase())
    results: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            result = c.home.import_bundle(path, keys).to_dict()
            results.append({"file": str(path), "ok": True, **result})
        except SyncError as exc:
            failed = True
            results.append({"file": str(path), "ok": False, "error": exc.en, "error_zh": exc.zh})
        except Exception as exc:  # never stop the files after it; the log keeps the detail
            logging.getLogger("sync.central").error("import of %s failed", path, exc_info=True)
            failed = True
            results.append({
                "file": str(path), "ok": False,
                "error": f"The bundle could not be imported; nothing of it was kept "
                         f"({type(exc).__name__}).",
                "error_zh": "该数据包无法导入，未导入其中任何记录。",
            })  # fmt: skip
    if as_json:
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=2))
    else:
        for r in results:
            if r["ok"]:
                click.echo(
                    f"{r['file']}: station {r['station_id']}: {r['accepted']} new, "
                    f"{r['duplicates']} already held, {r['quarantined']} quarantined, "
                    f"{r['refused']} refused, {r['snapshots']} snapshots; "
                    f"complete up to seq {r['acked_seq']}"
                    + (f"; missing {r['gaps']}" if r["gaps"] else "")
                    + (" ; ROLLBACK SUSPECTED" if r["rollback"] else "")
                )
            else:
                click.echo(f"{r['file']}: REFUSED: {r['error_zh']}\n  {r['error']}", err=True)
        if len(results) > 1:
            refused = [r["file"] for r in results if not r["ok"]]
            click.echo(
                f"{len(results) - len(refused)} imported, {len(refused)} refused"
                + (f": {', '.join(refused)}" if refused else ""),
                err=bool(refused),
            )
    sys.exit(1 if failed else 0)


@cli.command("issue-package")
@click.option(
    "--content",
    "content_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON with exam, roster and paper (docs/formats.md, package content).",
)
@click.option("--exam-id", required=True)
@click.option("--version", "version", type=click.IntRange(1), required=True)
@click.option("--venue", "venue_id", required=True)
@click.option("--sitting", "sitting_id", required=True)
@click.option("--valid-from", required=True, help="ISO 8601 with offset.")
@click.option("--valid-until", required=True, help="ISO 8601 with offset.")
@click.option(
    "--paper-password-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Seal the paper with the password in this file (released at exam start).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@pass_ctx
def issue_package(
    c: Context,
    content_file: Path,
    exam_id: str,
    version: int,
    venue_id: str,
    sitting_id: str,
    valid_from: str,
    valid_until: str,
    paper_password_file: Path | None,
    out: Path,
) -> None:
    """Sign and encrypt an exam package (.ekp) for every station registered for the venue."""
    from datetime import datetime

    from sync.package import PackageMeta

    try:
        content = json.loads(content_file.read_text("utf-8"))
        for stamp in (valid_from, valid_until):
            if datetime.fromisoformat(stamp).tzinfo is None:
                raise ValueError(f"{stamp} has no UTC offset")
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    recipients = c.home.venue_station_keys(venue_id)
    if not recipients:
        raise click.UsageError(f"no station is registered for venue {venue_id}")
    meta = PackageMeta(
        exam_id=exam_id,
        version=version,
        venue_id=venue_id,
        sitting_id=sitting_id,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        central_key_id=c.home.public_keys().key_id,
    )
    password = paper_password_file.read_text("utf-8").strip() if paper_password_file else None
    keys = c.home.unlock(c.passphrase())
    data = c.home.issue_package(content, meta, keys, recipients, paper_password=password)
    out.write_bytes(data)
    click.echo(f"{out}: {exam_id} v{version} for {len(recipients)} station(s) of {venue_id}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 if the report lists any problem.")
@pass_ctx
def report(c: Context, as_json: bool, strict: bool) -> None:
    """Per station: events, gaps, quarantined, refused, rollback; per sitting: candidates."""
    from sync.central.report import render_text

    data = c.home.report()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render_text(data))
    sys.exit(1 if strict and data["problems"] else 0)


@cli.command()
@click.option("--sitting", "sitting_id", default=None, help="One sitting (default: all).")
@click.option("--venue", "venue_id", default=None, help="One venue (default: all).")
@click.option(
    "--key",
    "key_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help='Answer key JSON ({"ITEM": ["A"]}) for item p-values and point-biserials.',
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--pdf", type=click.Path(path_type=Path, dir_okay=False), default=None)
@pass_ctx
def stats(
    c: Context,
    sitting_id: str | None,
    venue_id: str | None,
    key_file: Path | None,
    as_json: bool,
    xlsx: Path | None,
    pdf: Path | None,
) -> None:
    """Statistics across venues (issue 12): attendance, the exam, items, scores."""
    from sync.central.stats import central_stats, read_answer_key
    from sync.stats_export import stats_text, write_pdf, write_xlsx

    key = read_answer_key(key_file) if key_file else None
    result = central_stats(c.home, sitting_id=sitting_id, venue_id=venue_id, key=key)
    lang = os.environ.get("EXAMKIOSK_LANG", "zh_CN")
    heading = "ExamKiosk central" + (f" — {venue_id}" if venue_id else "")
    if xlsx is not None:
        write_xlsx(result, xlsx, heading=heading, lang=lang)
    if pdf is not None:
        write_pdf(result, pdf, heading=heading, lang=lang)
    click.echo(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
        if as_json
        else stats_text(result, lang)
    )


@cli.command()
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--check", is_flag=True, help="Exit 1 if --out differs from the current API.")
def openapi(out: Path | None, check: bool) -> None:
    """Write (or check) the OpenAPI description of the HTTP API."""
    from sync.central.app import openapi_text

    text = openapi_text()
    if out is None:
        click.echo(text, nl=False)
    elif check:
        if not out.exists() or out.read_text("utf-8") != text:
            click.echo(f"{out} is stale; run: examkiosk-central openapi --out {out}")
            sys.exit(1)
    else:
        out.write_text(text, "utf-8")


# Commands that live in their own modules (they import this one for Context and pass_ctx).
from sync.central.cli_staff import hired_guns, user  # noqa: E402
from sync.central.cli_update import make_update  # noqa: E402

for command in (make_update, user, hired_guns):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="examkiosk-central", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except SyncError as exc:
        click.echo(f"{exc.zh}\n{exc.en}", err=True)
        if exc.detail:
            click.echo(f"({exc.detail})", err=True)
        sys.exit(2)
    except SystemExit:
        raise


if __name__ == "__main__":
    main()
