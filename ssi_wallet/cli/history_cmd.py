"""`ssi-wallet history`: every disclosure and every credential received or deleted.

Examples:
  ssi-wallet history
  ssi-wallet history --json
  ssi-wallet history export disclosures.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit, table
from ssi_wallet.encoding import display, predicate_words

app = typer.Typer(
    help="What left the wallet, and what came in (kept in the encrypted wallet).\n\n"
         "Example: ssi-wallet history --json",
    invoke_without_command=True)


@app.callback()
def history(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Show the history (kept inside the encrypted wallet).

    Example: ssi-wallet history --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.history import list_history

    entries = list_history(holder_client())
    rows = [(e["at"][:19].replace("T", " "), e["kind"].replace("_", " "),
             e.get("counterparty") or e.get("connection_id") or "", _summary(e))
            for e in entries]
    emit(entries, json_out=json_out,
         human=lambda con: con.print(table("History", ["when (UTC)", "what", "with", "details"],
                                           rows)) if rows else con.print("No history yet."))


@app.command("export")
def export(file: Annotated[Path, typer.Argument(help="Where to write the JSON export.")],
           json_out: JsonOpt = False) -> None:
    """Export the whole history as JSON (the file is created 0600).

    Example: ssi-wallet history export disclosures.json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.history import export_history

    count = export_history(holder_client(), file)
    emit({"path": str(file), "entries": count}, json_out=json_out,
         human=f"Wrote {count} entries to {file}")


def _summary(entry: dict) -> str:
    kind = entry["kind"]
    if kind == "disclosure":
        parts = [f"revealed {k}={display(k, v)}" for k, v in (entry.get("revealed") or {}).items()]
        parts += [f"proved {predicate_words(p['name'], p['p_type'], p['p_value']).split(';')[0]}"
                  for p in entry.get("predicates") or []]
        if entry.get("consent_id"):
            parts.append(f"answered under consent {entry['consent_id']}")
        return "; ".join(parts) or "nothing revealed"
    if kind in ("credential_received", "credential_deleted"):
        return f"{entry.get('credential_id')} ({entry.get('cred_def_id')})"
    if kind == "exchange_abandoned":
        how = "by the agent after a restart" if entry.get("automatic") else "by you"
        return (f"{entry.get('exchange')} exchange {entry.get('exchange_id')}: sent, not "
                f"acknowledged; abandoned {how}" + (
                    "" if entry.get("outcome") == "abandoned" else " (it completed first)"))
    return entry.get("reason") or entry.get("request_name") or ""
