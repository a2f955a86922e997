"""The table drawn without rich (cli/plain_table.py): rich's look, every cell kept,
never wider than the terminal, and no rich console loaded to draw it."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from rich.cells import cell_len
from rich.console import Console

from ssi_wallet.cli.output import table
from ssi_wallet.cli.plain_table import fit_widths, fold, render, table_text

COLUMNS = ["id", "type", "issuer DID", "received", ""]
ROWS = [
    ("3f1c2a9e-1111-2222-3333-444455556666", "income_statement", "Th7MpTaRZVRYnPiabds81Y",
     "2026-11-21T20:56:43", "revocable"),
    ("0b9d7c1e-aaaa-bbbb-cccc-ddddeeeeffff", "medical declaration (lung specialist)",
     "V4SGRU86Z58d6TV7PBUe6f", "2026-11-20T08:01:02", ""),
    ("c0ffee00-0000-1111-2222-333344445555", "schuldhulp · débt support 債務",
     "NcYxiDXkpYi6ov5FcYDi1e", "", ""),
]


def _rich(width: int) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False)
    console.print(table("Credentials (3)", COLUMNS, ROWS))
    return console.file.getvalue()  # type: ignore[attr-defined]


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_same_as_rich_when_nothing_needs_folding() -> None:
    assert _lines(render("Credentials (3)", COLUMNS, ROWS, width=160)) == _lines(_rich(160))


@pytest.mark.parametrize("width", [30, 45, 60, 80, 100, 120])
def test_never_wider_than_the_terminal_and_every_cell_kept(width: int) -> None:
    drawn = render("Credentials (3)", COLUMNS, ROWS, width=width)
    body = drawn.splitlines()[1:]
    assert max(cell_len(line) for line in body) <= width
    assert len({cell_len(line) for line in body}) == 1  # every row as wide as the box
    # Read each column back out of the box: the cells come back whole, in order.
    rows = [line for line in body if line.startswith("│")]
    columns = ["".join("".join(part.split()) for part in col) for col in
               zip(*[line[1:-1].split("│") for line in rows], strict=True)]
    for i in range(len(COLUMNS)):
        assert columns[i] == "".join("".join(r[i].split()) for r in ROWS)


def test_fit_gives_up_cells_of_the_widest_column_first() -> None:
    assert fit_widths([36, 16, 22, 19, 9], 200) == [36, 16, 22, 19, 9]
    fitted = fit_widths([36, 16, 22, 19, 9], 100)
    assert sum(fitted) + 16 == 100 and fitted[4] == 9 and fitted[1] == 16


def test_fold_wraps_at_spaces_and_folds_long_words() -> None:
    assert fold("medical declaration", 10) == ["medical", "declaratio", "n"]
    assert fold("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert fold("", 4) == [""]
    assert fold("債務債務債務", 4) == ["債務", "債務", "債務"]  # two cells each


def test_ascii_box_where_the_stream_cannot_take_unicode_and_bold_only_on_a_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    drawn = table_text("T", ["a"], [("b",)], stream=latin)
    assert drawn.splitlines()[1] == "+---+" and "\x1b[" not in drawn
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[1ma\x1b[0m" in table_text("T", ["a"], [("b",)], stream=io.StringIO())


def test_drawing_loads_no_rich_console() -> None:
    probe = ("import sys\nfrom ssi_wallet.cli.plain_table import render\n"
             "render('t', ['a', 'b'], [('1', '2')], width=40)\n"
             "print(sorted(m for m in sys.modules if m.startswith('rich')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert "rich.console" not in out and "rich.table" not in out and "rich.cells" in out
