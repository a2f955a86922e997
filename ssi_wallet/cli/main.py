"""Entry point: runs the typer app and maps every failure to one line and an exit code.

Exit codes: 0 success, 1 an error the user can act on, 2 usage errors, 130 interrupted.
Tracebacks only with `--debug` or `SSI_WALLET_DEBUG=1`.
"""

from __future__ import annotations

import os
import sys

import typer

from ssi_wallet.errors import SsiWalletError

DEBUG_ENV = "SSI_WALLET_DEBUG"


def debug_enabled(argv: list[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return "--debug" in args or os.environ.get(DEBUG_ENV, "") not in ("", "0", "false")


def _fail(message: str, code: int, *, kind: str, hint: str | None = None) -> None:
    from ssi_wallet.cli.output import err, to_json, wants_json

    message = _one_line(message)
    hint = _one_line(hint) if hint else hint
    if wants_json():
        error = {"code": kind, "message": message}
        if hint:
            error["hint"] = hint
        sys.stdout.write(to_json({"ok": False, "error": error}) + "\n")
    line = f"[bold red]error:[/] {_escape(message)}"
    if hint:
        line += f"\n[dim]{_escape(hint)}[/]"
    err().print(line, soft_wrap=True)  # one line however long: no wrapping at the width
    sys.exit(code)


def _one_line(text: str) -> str:
    """Control characters (newlines, terminal escapes) from input never reach the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _print_traceback() -> None:
    import traceback  # only with --debug: not on every start-up

    traceback.print_exc()


def run() -> None:
    """Console-script entry point."""
    from ssi_wallet import progress
    from ssi_wallet.cli.app import app
    from ssi_wallet.cli.output import notice

    progress.set_sink(notice)
    try:
        result = app(standalone_mode=False, prog_name="ssi-wallet")
    except SsiWalletError as error:
        if debug_enabled():
            _print_traceback()
        _fail(str(error), error.exit_code, kind=error.code, hint=error.hint)
    except typer.Abort:
        _fail("aborted", 1, kind="aborted")
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.TyperException as error:  # usage errors: click's own message, exit 2
        show = getattr(error, "show", None)
        if show is None:
            raise
        show()
        sys.exit(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        _fail("interrupted", 130, kind="interrupted")
    except Exception as error:  # the last line of defence: one line, no traceback
        if debug_enabled():
            _print_traceback()
        _fail(
            f"unexpected {type(error).__name__}: {error}",
            1,
            kind="internal",
            hint="run again with --debug for the traceback",
        )
    sys.exit(result if isinstance(result, int) else 0)
