"""Options and helpers shared by the `examkiosk` command groups."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from examkiosk.core.errors import localized
from examkiosk.store.layout import default_data_dir

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Station data directory (default: $EXAMKIOSK_DATA_DIR, else ~/.local/share/examkiosk; "
    "on Windows %ProgramData%\\ExamKiosk).",
)
PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File holding the recovery passphrase (else $EXAMKIOSK_PASSPHRASE or a prompt).",
)


def lang() -> str:
    return os.environ.get("EXAMKIOSK_LANG", "zh_CN")


def data_dir_or_default(value: Path | None) -> Path:
    return value if value is not None else default_data_dir()


class KioskGroup(click.Group):
    """Turns errors a person can act on into their message and exit status 2, not a traceback;
    `--help` in Chinese unless `--lang en` (or EXAMKIOSK_LANG=en)."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        from examkiosk.app.cli_help import language_of, localize

        argv = list(sys.argv[1:] if args is None else args)
        localize(self, language_of(argv, lang()))
        return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if not hasattr(exc, "zh"):
                raise
            logging.getLogger("examkiosk").debug("user-facing error", exc_info=True)
            click.echo(localized(exc, lang()), err=True)
            sys.exit(2)
