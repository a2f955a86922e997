"""Progress notices from services ("starting the wallet's agent…") without services
knowing about the terminal: the CLI installs a sink that draws them on stderr; elsewhere
(tests, agents, scenarios) they go to plain stderr, or nowhere if a sink says so."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

_sink: Callable[[str], None] | None = None


def set_sink(sink: Callable[[str], None] | None) -> None:
    global _sink
    _sink = sink


def notice(message: str) -> None:
    """One line for people; rich markup allowed (stripped when there is no rich sink)."""
    if _sink is not None:
        _sink(message)
    else:
        sys.stderr.write(re.sub(r"\[/?[a-z ]*\]", "", message) + "\n")
