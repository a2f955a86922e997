"""Tells a scenario as it happens: each step's title and, in guided mode, an
explanation for pilot staff (what happens, who learns what, why the citizen stays in
control), each party's view, and the time every step took.

Guided mode pauses after each explanation: Enter continues, q stops cleanly.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from rich.console import Console
from rich.panel import Panel

PARTY_STYLE = {
    "citizen": "bold cyan", "employer": "bold yellow", "municipality": "bold green",
    "lung-specialist": "bold magenta", "svb": "bold blue", "cjib": "bold red",
    "system": "dim",
}


class ScenarioStopped(Exception):
    """The pilot staff member pressed q."""


@dataclass
class StepRecord:
    key: str
    title: str
    party: str
    seconds: float = 0.0
    outcome: str = ""


@dataclass
class Narrator:
    scenario: str
    lang: str = "en"
    guided: bool = False
    console: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))
    keys: TextIO = field(default_factory=lambda: sys.stdin)
    steps: list[StepRecord] = field(default_factory=list)
    texts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.texts = load_texts(self.scenario, self.lang)

    def text(self, key: str, **values: Any) -> dict[str, str]:
        entry = self.texts.get(key) or {}
        return {k: str(v).format(**values).strip() for k, v in entry.items()}

    def intro(self) -> None:
        entry = self.text("intro")
        self.console.rule(f"[bold]{entry.get('title', self.scenario)}")
        if entry.get("explain"):
            self.console.print(entry["explain"])
        self._pause()

    @contextmanager
    def step(self, key: str, party: str, **values: Any) -> Iterator[StepRecord]:
        entry = self.text(key, **values)
        record = StepRecord(key, entry.get("title", key), party)
        style = PARTY_STYLE.get(party, "bold")
        self.console.print(f"\n[{style}]▶ {party}[/]  [bold]{record.title}[/]")
        if self.guided and entry.get("explain"):
            self.console.print(Panel(entry["explain"], border_style="dim", expand=False))
            self._pause()
        started = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - started
            self.steps.append(record)
            self.console.print(f"  [dim]{record.outcome or 'done'} ({record.seconds:.2f} s)[/]")

    def view(self, party: str, message: str) -> None:
        """What one party sees at this moment."""
        style = PARTY_STYLE.get(party, "bold")
        self.console.print(f"  [{style}]{party}[/] sees: {message}")

    def _pause(self) -> None:
        if not self.guided:
            return
        prompt = self.text("_pause").get("title") or "Enter: continue, q: stop"
        self.console.print(f"[dim]{prompt}[/]", end=" ")
        line = self.keys.readline()
        if line == "" or line.strip().lower() == "q":
            raise ScenarioStopped()


def load_texts(scenario: str, lang: str) -> dict[str, Any]:
    """The narration of `scenario` in `lang` (English where a text is missing)."""
    import yaml

    def read(name: str) -> dict[str, Any]:
        ref = resources.files("ssi_wallet.scenarios") / "texts" / f"{name}.yaml"
        return yaml.safe_load(ref.read_text(encoding="utf-8")) if ref.is_file() else {}

    texts: dict[str, Any] = {}
    for name in ("common", scenario.replace("-", "_")):
        doc = read(name)
        merged = dict(doc.get("en") or {})
        for key, entry in (doc.get(lang) or {}).items():
            merged[key] = {**merged.get(key, {}), **entry}
        texts.update(merged)
    return texts
