"""Tables of plain text drawn without rich's console, for the commands run most often.

Importing rich's console and laying out a first table costs about 0.1 s, a third of
the 300 ms `credentials list` may take. A table of plain cells (no markup) needs none
of that: this draws it with the look of `output.table` (a left-aligned title, a bold
header in a heavy box, columns folded to the terminal's width), using only rich's
small cell-width table so wide characters line up as rich would line them up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich.cells import cell_len, chop_cells

# (left, fill, joint, right) of: the top, header rows, the rule under the header,
# body rows, the bottom. The unicode set is rich's HEAVY_HEAD box.
_UNICODE_BOX = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘")
_ASCII_BOX = ("+-++", "| ||", "|-+|", "| ||", "+-++")
_STD_FDS = (0, 1, 2)


def terminal_width(default: int = 80) -> int:
    """Columns to fit: COLUMNS, else the first of stdin, stdout or stderr that is a
    terminal (as rich measures), else `default`, so piped output keeps rich's width."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    for fd in _STD_FDS:
        try:
            return os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
    return default


def _styled(stream: TextIO) -> bool:
    """Whether to use bold and italic: a terminal that is not 'dumb', as rich decides."""
    if os.environ.get("FORCE_COLOR"):
        return True
    term = os.environ.get("TERM", "").lower()
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and term not in ("dumb", "unknown")


def fit_widths(natural: Sequence[int], available: int) -> list[int]:
    """Column widths that fit `available` columns with borders and padding: the widest
    column gives up a cell at a time, so narrow columns stay whole as long as they can."""
    widths = list(natural)
    overhead = 3 * len(widths) + 1  # "│ " before each cell, " " after it, and the last "│"
    excess = sum(widths) + overhead - available
    while excess > 0:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 1:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def fold(text: str, width: int) -> list[str]:
    """`text` as lines of at most `width` cells, as rich folds a cell: words move whole
    to the next line; only a word longer than the width is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            joined = f"{line} {word}" if line else word
            if cell_len(joined) <= width:
                line = joined
                continue
            if line:
                lines.append(line)
            *full, line = chop_cells(word, width)
            lines.extend(full)
        lines.append(line)
    return lines


def render(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
           width: int | None = None, styled: bool = False, unicode: bool = True) -> str:
    """The whole table as text, ending with a newline."""
    body = [["" if cell is None else str(cell) for cell in row] for row in rows]
    natural = [max([cell_len(part) for part in column.splitlines() or [""]]
                   + [cell_len(part) for row in body for part in row[i].splitlines()] or [1])
               for i, column in enumerate(columns)]
    widths = fit_widths([max(w, 1) for w in natural], width or terminal_width())
    top, head, rule, mid, bottom = _UNICODE_BOX if unicode else _ASCII_BOX
    bold, italic, reset = ("\x1b[1m", "\x1b[3m", "\x1b[0m") if styled else ("", "", "")

    def line(chars: str) -> str:
        left, fill, joint, right = chars
        return left + joint.join(fill * (w + 2) for w in widths) + right

    def cells(row: Sequence[str], chars: str, style: str) -> list[str]:
        left, _, joint, right = chars
        folded = [fold(cell, w) for cell, w in zip(row, widths, strict=True)]
        out = []
        for n in range(max(len(f) for f in folded)):
            parts = []
            for lines, w in zip(folded, widths, strict=True):
                text = lines[n] if n < len(lines) else ""
                padded = text + " " * (w - cell_len(text))
                parts.append(f" {style}{padded}{reset if style else ''} ")
            out.append(left + joint.join(parts) + right)
        return out

    out = [f"{italic}{title}{reset}"] if title else []
    out.append(line(top))
    out.extend(cells(list(columns), head, bold))
    out.append(line(rule))
    for row in body:
        out.extend(cells(row, mid, ""))
    out.append(line(bottom))
    return "\n".join(out) + "\n"


def table_text(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
               stream: TextIO | None = None) -> str:
    """The table as `stream` (stdout) should get it: bold and italic on a terminal, a
    unicode box where the stream's encoding takes it, ASCII otherwise."""
    stream = stream or sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return render(title, columns, rows, styled=_styled(stream), unicode=encoding.startswith("utf"))
