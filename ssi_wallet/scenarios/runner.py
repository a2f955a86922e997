"""Runs scenarios in one world (one home, one ledger, the agencies they need) and
collects what pilot staff look at afterwards: steps with timings, outcomes, and the
disclosure matrix read from the agencies' own stores."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from ssi_wallet.errors import UsageError
from ssi_wallet.scenarios.narrator import Narrator, ScenarioStopped, StepRecord


def registry() -> dict[str, ModuleType]:
    from ssi_wallet.scenarios import asbestos, emergency_brake, income_supplement

    return {m.NAME: m for m in (income_supplement, asbestos, emergency_brake)}


DESCRIPTIONS = {
    "income-supplement": "The ride-hailing driver: monthly income supplement up to the "
                         "social minimum, then standing consent.",
    "asbestos": "The asbestos victim: a proactive notice from the wallet, applying to the "
                "SVB, the award as a credential.",
    "emergency-brake": "The CJIB's Financial Emergency Brake: applied on proof of debt "
                       "support, lifted when the municipality revokes it.",
}


@dataclass
class ScenarioRun:
    name: str
    lang: str
    steps: list[StepRecord] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stopped

    def outcome(self) -> str:
        if self.stopped:
            return "stopped by the user"
        if self.error:
            return f"failed: {self.error}"
        return summarize(self.name, self.result)

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.name, "ok": self.ok, "seconds": round(self.seconds, 2),
                "outcome": self.outcome(), "error": self.error, "stopped": self.stopped,
                "steps": [{"key": s.key, "title": s.title, "party": s.party,
                           "seconds": round(s.seconds, 3), "outcome": s.outcome}
                          for s in self.steps],
                "result": self.result}


@dataclass
class RunReport:
    runs: list[ScenarioRun]
    prepare_seconds: float = 0.0     # the shared set-up, when several scenarios ran

    @property
    def seconds(self) -> float:
        return self.prepare_seconds + sum(r.seconds for r in self.runs)


def run_scenarios(names: list[str], *, home: Path, keep: bool = False, guided: bool = False,
                  lang: str = "en", months: int = 3, keys: TextIO | None = None,
                  console=None) -> RunReport:
    """Run `names` in order in one world; a failure stops the rest, cleanly."""
    from ssi_wallet.scenarios.world import World

    known = registry()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"no scenario {', '.join(unknown)} (see: ssi-wallet scenario list)")
    if lang not in ("en", "nl"):
        raise UsageError("--lang takes en or nl")
    if months < 1 or months > 12:
        raise UsageError("--months takes 1 to 12")
    runs: list[ScenarioRun] = []
    with World(home, keep=keep) as world:
        if len(names) > 1:   # one set-up for all: agencies and key generation in parallel
            from ssi_wallet.progress import notice

            started = time.perf_counter()
            notice("[dim]preparing the ledger, the agencies and their credential "
                   "definitions…[/]")
            world.ledger()
            # What the first scenario needs now; the other agencies come up while it runs.
            world.prepare(*(known[n] for n in names), first=known[names[0]])
            world.prepare_seconds = time.perf_counter() - started
        for name in names:
            options: dict[str, Any] = {"scenario": name, "lang": lang, "guided": guided}
            if keys is not None:
                options["keys"] = keys
            if console is not None:
                options["console"] = console
            narrator = Narrator(**options)
            run = ScenarioRun(name, lang)
            runs.append(run)
            started = time.perf_counter()
            try:
                result = known[name].run(world, narrator, months=months)
                result.pop("case", None)
                run.result = result
            except ScenarioStopped:
                run.stopped = True
            except Exception as error:  # reported per scenario; the world still shuts down
                run.error = f"{type(error).__name__}: {error}"
            finally:
                run.seconds = time.perf_counter() - started
                run.steps = narrator.steps
            if not run.ok:
                break
        prepared = world.prepare_seconds
    return RunReport(runs, prepared)


def summarize(name: str, result: dict[str, Any]) -> str:
    from ssi_wallet.encoding import format_cents, format_month

    if name == "income-supplement":
        parts = []
        for month in result.get("months", []):
            paid = month.get("paid_cents")
            parts.append(f"{format_month(month['month'])}: "
                         + (f"paid {format_cents(paid)}" if paid is not None else "not entitled"))
        return "; ".join(parts)
    if name == "asbestos":
        awards = result.get("awards") or []
        return (f"awarded {format_cents(int(awards[0]['amount_cents']))}, award credential in "
                "the wallet" if awards else "not awarded")
    if name == "emergency-brake":
        applied = "applied" if result.get("brake_applied") else "NOT applied"
        lifted = "lifted" if not result.get("brake_active_at_end") else "NOT lifted"
        return f"brake {applied}, then {lifted} after revocation"
    return "done"


def disclosure_matrix(runs: list[ScenarioRun]) -> list[dict[str, Any]]:
    """Per agency: the attributes it learned and the predicates it saw proven."""
    rows: dict[str, dict[str, Any]] = {}
    for run in runs:
        for item in run.result.get("disclosures", []):
            row = rows.setdefault(item["agency"], {"agency": item["agency"], "learned": {},
                                                   "predicates": []})
            for name, values in item["revealed"].items():
                row["learned"].setdefault(name, [])
                row["learned"][name] += [v for v in values if v not in row["learned"][name]]
            row["predicates"] += [p for p in item["predicates"] if p not in row["predicates"]]
    return list(rows.values())
