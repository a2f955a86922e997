"""All rendering in one place: rich for people, exactly one JSON document for `--json`.

Commands build a plain data document and hand it to `emit` together with a function
that draws it for people; nothing else writes to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # rich is imported when something is drawn, not at start-up
    from rich.console import Console
    from rich.table import Table

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout, nothing else.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    """The console for results (stdout)."""
    global _out
    if _out is None:
        from rich.console import Console

        _out = Console(highlight=False)
    return _out


def err() -> Console:
    """The console for progress, notices and errors (stderr), so stdout stays clean."""
    global _err
    if _err is None:
        from rich.console import Console

        _err = Console(stderr=True, highlight=False)
    return _err


def wants_json(argv: Sequence[str] | None = None) -> bool:
    """Whether this invocation asked for JSON (used where no command object is at hand)."""
    return "--json" in (sys.argv[1:] if argv is None else argv)


def to_json(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def emit(doc: Any, *, json_out: bool, human: Callable[[Console], None] | str | None = None) -> None:
    """Print `doc` as JSON, or draw it for people with `human` (a function or a line)."""
    if json_out:
        sys.stdout.write(to_json(doc) + "\n")
        sys.stdout.flush()
        return
    console = out()
    if human is None:
        console.print_json(to_json(doc))
    elif isinstance(human, str):
        console.print(human)
    else:
        human(console)


def emit_plain(doc: Callable[[], Any], *, json_out: bool, human: Callable[[], str]) -> None:
    """Like `emit`, for output drawn without rich (see `plain_table`); each view is
    built only when it is the one asked for: `doc()` for scripts, `human()` (the text)
    for people."""
    if json_out:
        emit(doc(), json_out=True)
        return
    sys.stdout.write(human())
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table with the project's look."""
    from rich.table import Table

    tbl = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for column in columns:
        tbl.add_column(column, overflow="fold")
    for row in rows:
        tbl.add_row(*("" if cell is None else str(cell) for cell in row))
    return tbl


def notice(message: str) -> None:
    """A progress or status line for people, on stderr (never pollutes --json output)."""
    err().print(message)


def plain_notice(message: str) -> None:
    """A notice without markup, on stderr, written without loading rich: for the line
    any command may print before its own work (importing rich costs ~60 ms)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def confirm(question: str, *, yes: bool) -> bool:
    """Ask before an irreversible step; `--yes` answers for scripts, no stdin means no."""
    if yes:
        return True
    if not sys.stdin.isatty():
        from ssi_wallet.errors import UsageError

        raise UsageError(f"{question} Refusing without a terminal; pass --yes to confirm.")
    return typer.confirm(question, default=False, err=True)
