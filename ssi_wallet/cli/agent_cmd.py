"""`ssi-wallet agent ...`: the wallet's ACA-Py agent running in the background.

Examples:
  ssi-wallet agent start
  ssi-wallet agent status --json
  ssi-wallet agent logs --lines 50
  ssi-wallet agent stop
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit

app = typer.Typer(help="Start, stop and inspect the wallet's background agent.")


@app.command("start")
def start(json_out: JsonOpt = False) -> None:
    """Start the agent (commands that need it start it by themselves too).

    Example: ssi-wallet agent start
    """
    from ssi_wallet.holder.agent import ensure_agent

    runtime, started = ensure_agent()
    doc = {**_public(runtime), "started": started}
    emit(doc, json_out=json_out,
         human=("Started" if started else "Already running:")
         + f" the wallet's agent (pid {runtime.pid}, endpoint {runtime.endpoint})")


@app.command("stop")
def stop(json_out: JsonOpt = False) -> None:
    """Stop the agent: gracefully, then forced after a few seconds.

    Example: ssi-wallet agent stop
    """
    from ssi_wallet.agent.process import stop as do_stop
    from ssi_wallet.holder.agent import require_wallet

    stopped = do_stop(require_wallet().root)
    emit({"stopped": stopped}, json_out=json_out,
         human="Stopped the wallet's agent." if stopped else "The agent was not running.")


@app.command("status")
def status(json_out: JsonOpt = False) -> None:
    """Is the agent running, and where.

    Example: ssi-wallet agent status --json
    """
    from ssi_wallet.agent.running import status as agent_status
    from ssi_wallet.holder.agent import require_wallet

    runtime = agent_status(require_wallet().root)
    doc = {"running": runtime is not None, **(_public(runtime) if runtime else {})}
    emit(doc, json_out=json_out,
         human=f"running (pid {runtime.pid}, admin {runtime.admin_url}, "
               f"endpoint {runtime.endpoint})" if runtime else "not running")


@app.command("logs")
def logs(lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 40,
         json_out: JsonOpt = False) -> None:
    """Show the end of the agent's log.

    Example: ssi-wallet agent logs -n 100
    """
    from collections import deque

    from ssi_wallet.holder.agent import require_wallet

    path = require_wallet().root / "run" / "agent.log"
    tail: list[str] = []
    if path.exists():
        with path.open(errors="replace") as handle:
            tail = list(deque(handle, maxlen=max(lines, 1)))
    emit({"path": str(path), "lines": [line.rstrip("\n") for line in tail]}, json_out=json_out,
         human=lambda con: con.out("".join(tail) or "(the log is empty)", highlight=False))


def _public(runtime) -> dict:
    """The runtime without its API key."""
    return {"pid": runtime.pid, "admin_url": runtime.admin_url, "endpoint": runtime.endpoint,
            "started_at": runtime.started_at}
