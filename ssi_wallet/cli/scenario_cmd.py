"""`ssi-wallet scenario ...` and `ssi-wallet demo`: the pilots' three cases.

Examples:
  ssi-wallet scenario list
  ssi-wallet scenario run income-supplement --guided --lang nl
  ssi-wallet scenario run emergency-brake --report brake.html
  ssi-wallet scenario reset --yes
  ssi-wallet demo                      # all three, unattended, in a fresh temporary home
  ssi-wallet demo --home ~/pilot       # the same, reusing agencies' keys from last time
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, err, notice, table

app = typer.Typer(help="Run the pilots' cases, guided (narrated) or unattended.")

HomeOpt = Annotated[Path | None, typer.Option(
    "--home", help="Where the scenario world lives (default: scenarios/ in the data dir).",
    show_default=False)]
ReportOpt = Annotated[Path | None, typer.Option(
    "--report", help="Write a Markdown report (HTML when the name ends in .html).")]
KeepOpt = Annotated[bool, typer.Option("--keep", help="Leave ledger and agents running.")]


def _scenario_home(home: Path | None) -> Path:
    from ssi_wallet.config import data_home

    return (home or data_home() / "scenarios").expanduser().resolve()


@app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List the scenarios.

    Example: ssi-wallet scenario list
    """
    from ssi_wallet.scenarios.runner import DESCRIPTIONS

    emit([{"name": k, "description": v} for k, v in DESCRIPTIONS.items()], json_out=json_out,
         human=lambda con: con.print(table("Scenarios", ["name", "what"],
                                           DESCRIPTIONS.items())))


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="income-supplement, asbestos or emergency-brake")],
    guided: Annotated[bool, typer.Option(
        "--guided", help="Pause at each step with an explanation (Enter: on, q: stop).")] = False,
    lang: Annotated[str, typer.Option("--lang", help="en or nl.")] = "en",
    months: Annotated[int, typer.Option(help="Months to run (income-supplement).")] = 3,
    keep: KeepOpt = False,
    report: ReportOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run one scenario; it starts what it needs and stops it afterwards.

    Example: ssi-wallet scenario run asbestos --guided
    """
    _run([name], home=_scenario_home(home), guided=guided, lang=lang, months=months,
         keep=keep, report=report, json_out=json_out)


@app.command("reset")
def reset(home: HomeOpt = None, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Stop the scenario world and delete it (agencies, wallet, ledger).

    Example: ssi-wallet scenario reset --yes
    """
    from ssi_wallet.scenarios.world import World

    target = _scenario_home(home)
    if not target.exists():
        emit({"home": str(target), "deleted": False}, json_out=json_out,
             human="Nothing to reset.")
        return
    if not (target / "ledger").exists() and not (target / "agencies").exists():
        from ssi_wallet.errors import UsageError

        raise UsageError(f"{target} does not look like a scenario world; not deleting it")
    if not confirm(f"Stop and delete the scenario world in {target}?", yes=yes):
        raise typer.Abort()
    World(target).shutdown()
    shutil.rmtree(target)
    emit({"home": str(target), "deleted": True}, json_out=json_out,
         human=f"Deleted {target}")


def demo(
    home: Annotated[Path | None, typer.Option(
        "--home", help="Reuse this home (warm: agencies keep their keys).")] = None,
    keep: KeepOpt = False,
    report: ReportOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="en or nl.")] = "en",
    json_out: JsonOpt = False,
) -> None:
    """Run all three pilot cases unattended on the embedded ledger.

    Example: ssi-wallet demo --report demo.html
    """
    from ssi_wallet.scenarios.runner import registry

    fresh = home is None
    target = Path(tempfile.mkdtemp(prefix="ssi-wallet-demo-")) if fresh else \
        home.expanduser().resolve()
    try:
        _run(list(registry()), home=target, guided=False, lang=lang, months=3,
             keep=keep, report=report, json_out=json_out)
    finally:
        if fresh and not keep:
            shutil.rmtree(target, ignore_errors=True)


def _run(names: list[str], *, home: Path, guided: bool, lang: str, months: int, keep: bool,
         report: Path | None, json_out: bool) -> None:
    import os

    from ssi_wallet.errors import ServiceError
    from ssi_wallet.scenarios.report import print_summary, write_report
    from ssi_wallet.scenarios.runner import run_scenarios

    if guided and json_out:
        from ssi_wallet.errors import UsageError

        raise UsageError("--guided waits for you at each step; it does not go with --json")
    previous = os.environ.get("SSI_WALLET_HOME")
    notice(f"[dim]scenario world: {home}[/]")
    try:
        outcome = run_scenarios(names, home=home, keep=keep, guided=guided, lang=lang,
                                months=months, console=err())
    finally:
        if previous is None:
            os.environ.pop("SSI_WALLET_HOME", None)
        else:
            os.environ["SSI_WALLET_HOME"] = previous
    runs = outcome.runs
    if report is not None:
        write_report(report, outcome)
        notice(f"report written to {report}")
    doc = {"home": str(home), "kept": keep, "ok": all(r.ok for r in runs),
           "seconds": round(outcome.seconds, 1),
           "prepare_seconds": round(outcome.prepare_seconds, 1),
           "scenarios": [r.to_json() for r in runs]}
    emit(doc, json_out=json_out, human=lambda con: print_summary(con, outcome))
    failed = [r for r in runs if r.error]
    if failed:
        raise ServiceError(f"scenario {failed[0].name} {failed[0].outcome()}")
