"""`ssi-wallet credentials ...`: what the wallet holds.

Examples:
  ssi-wallet credentials list
  ssi-wallet credentials show 1b2c... --json
  ssi-wallet credentials status
  ssi-wallet credentials delete 1b2c... --yes
"""

from __future__ import annotations

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, emit_plain, table

app = typer.Typer(help="List, show, check and delete credentials.")
SHOWN = 50  # credentials shown on screen by default


@app.command("list")
def list_(
    limit: int | None = typer.Option(
        None, "--limit", min=1,
        help=f"Show the newest N (default: {SHOWN} on screen, every one with --json)."),
    all_: bool = typer.Option(False, "--all", help="Show every credential (slow for a "
                              "wallet of thousands)."),
    json_out: JsonOpt = False,
) -> None:
    """List credentials, newest first.

    On screen the newest 50 unless --limit or --all; --json gives every credential
    unless --limit, so scripts never see a silently cut list.

    Example: ssi-wallet credentials list --limit 10 --json
    """
    from ssi_wallet.cli.plain_table import table_text
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.credentials import credentials_page, list_credentials

    client = holder_client()
    if limit is None and not json_out:
        limit = SHOWN
    if all_ or limit is None:
        creds = list_credentials(client)
        total = len(creds)
    else:
        creds, total = credentials_page(client, count=limit)
    rows = [(c.id, c.credential_type, c.issuer_did, (c.received_at or "")[:19],
             "revocable" if c.revocable else "") for c in creds]
    title = f"Credentials ({len(creds)})" if len(creds) == total else \
        f"Credentials (newest {len(creds)} of {total}; --all for every one)"
    # Drawn without rich: this is the command a citizen runs most (300 ms budget).
    emit_plain(lambda: [c.to_json() for c in creds], json_out=json_out,
               human=lambda: table_text(title, ["id", "type", "issuer DID", "received", ""],
                                        rows)
               if rows else "The wallet holds no credentials yet.\n")


@app.command("show")
def show(credential_id: str, json_out: JsonOpt = False) -> None:
    """Show one credential with its values.

    Example: ssi-wallet credentials show 1b2c...
    """
    from ssi_wallet.encoding import display
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.credentials import get_credential

    cred = get_credential(holder_client(), credential_id)

    def human(con) -> None:
        con.print(f"[bold]{cred.credential_type}[/] from issuer {cred.issuer_did}")
        con.print(f"credential definition {cred.cred_def_id}"
                  + (" (revocable)" if cred.revocable else ""))
        con.print(table(None, ["attribute", "value"],
                        [(k, display(k, v)) for k, v in sorted(cred.attributes.items())]))

    emit(cred.to_json(), json_out=json_out, human=human)


@app.command("status")
def status(json_out: JsonOpt = False) -> None:
    """Check every credential: revoked on the ledger? past its valid_until date?

    Example: ssi-wallet credentials status
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.credentials import credential_statuses

    statuses = credential_statuses(holder_client())

    def state(s) -> str:
        if s.revoked:
            return "[red]revoked[/]"
        if s.expired:
            return "[red]expired[/]"
        return "[green]valid[/]"

    rows = [(s.credential.id, s.credential.credential_type,
             "yes" if s.credential.revocable else "no",
             s.expires.isoformat() if s.expires else "", state(s)) for s in statuses]
    emit([s.to_json() for s in statuses], json_out=json_out,
         human=lambda con: con.print(table("Credential status", ["id", "type", "revocable",
                                                                "valid until", "status"], rows))
         if rows else con.print("The wallet holds no credentials yet."))


@app.command("delete")
def delete(credential_id: str, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Delete a credential from the wallet (recorded in the history).

    Example: ssi-wallet credentials delete 1b2c... --yes
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.credentials import delete_credential, get_credential

    client = holder_client()
    cred = get_credential(client, credential_id)
    if not confirm(f"Delete {cred.credential_type} credential {credential_id}?", yes=yes):
        raise typer.Abort()
    delete_credential(client, credential_id)
    emit({"credential_id": credential_id, "deleted": True}, json_out=json_out,
         human=f"Deleted credential {credential_id}")
