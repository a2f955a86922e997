"""`ssi-wallet schemes ...`, `eligibility`, `inbox`, `apply`: what you may be entitled
to, worked out inside your wallet.

Examples:
  ssi-wallet schemes add svb-tas.json
  ssi-wallet eligibility
  ssi-wallet inbox
  ssi-wallet apply svb-tas
  ssi-wallet schemes sign scheme.yaml --agency svb -o svb-tas.json    (agency staff)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, err, notice, table

app = typer.Typer(help="The catalogue of schemes agencies publish (signed).")


@app.command("add")
def add(source: Annotated[str, typer.Argument(help="A scheme document: file or URL.")],
        json_out: JsonOpt = False) -> None:
    """Add a scheme after checking its signature against the agency's DID on the ledger.

    Example: ssi-wallet schemes add https://svb.example/schemes/tas.json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.schemes import add_scheme, read_scheme, scheme_summary

    read = read_scheme(source)  # a malformed document is refused before the agent starts
    scheme = add_scheme(holder_client(), source, read)
    emit(scheme_summary(scheme), json_out=json_out,
         human=f"Added scheme [bold]{scheme.id}[/] of {scheme.agency_name} "
               f"(signature checked against {scheme.agency_did} on the ledger)")


@app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List the schemes in the wallet's catalogue.

    Example: ssi-wallet schemes list --json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.schemes import list_schemes, scheme_summary

    schemes = list_schemes(holder_client())
    rows = [(s.id, s.agency_name, s.schema_name or s.cred_def_id, s.text()) for s in schemes]
    emit([scheme_summary(s) for s in schemes], json_out=json_out,
         human=lambda con: con.print(table("Schemes", ["id", "agency", "needs", "what"], rows))
         if rows else con.print("No schemes yet: ssi-wallet schemes add FILE|URL"))


@app.command("remove")
def remove(scheme_id: str, json_out: JsonOpt = False) -> None:
    """Remove a scheme from the catalogue.

    Example: ssi-wallet schemes remove svb-tas
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.schemes import remove_scheme

    remove_scheme(holder_client(), scheme_id)
    emit({"scheme": scheme_id, "removed": True}, json_out=json_out,
         human=f"Removed scheme {scheme_id}")


@app.command("sign")
def sign(
    document: Annotated[Path, typer.Argument(help="The unsigned scheme (YAML or JSON).")],
    agency: Annotated[str, typer.Option("--agency", help="The agency whose DID signs.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")],
    json_out: JsonOpt = False,
) -> None:
    """Sign a scheme document with an agency's DID key (for agency staff).

    Example: ssi-wallet schemes sign examples/schemes/svb-tas.yaml --agency svb -o tas.json
    """
    from ssi_wallet.agency.runtime import did_seed, load_agency
    from ssi_wallet.catalogue import load_document, sign_document
    from ssi_wallet.files import atomic_write
    from ssi_wallet.holder.schemes import dump

    config = load_agency(agency)
    signed = sign_document(load_document(document), did_seed(config))
    atomic_write(output, dump(signed))
    emit({"path": str(output), "scheme": signed["scheme"], "did": signed["agency"]["did"]},
         json_out=json_out, human=f"Signed {signed['scheme']} as {signed['agency']['did']}: "
                                  f"{output}")


def eligibility(json_out: JsonOpt = False) -> None:
    """What your credentials make you eligible for (worked out locally, nothing is sent).

    Example: ssi-wallet eligibility --json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.eligibility import evaluate_all

    verdicts = evaluate_all(holder_client())
    colour = {"eligible": "green", "possibly_eligible": "yellow", "not_eligible": "dim"}
    rows = [(v.scheme.id, v.scheme.agency_name,
             f"[{colour[v.status]}]{v.status.replace('_', ' ')}[/]", v.reason)
            for v in verdicts]
    emit([v.to_json() for v in verdicts], json_out=json_out,
         human=lambda con: con.print(table("Eligibility", ["scheme", "agency", "status",
                                                           "why"], rows))
         if rows else con.print("No schemes in the catalogue: ssi-wallet schemes add FILE"))


def inbox(json_out: JsonOpt = False) -> None:
    """Notices the wallet kept for you: schemes a new credential qualifies you for.

    Example: ssi-wallet inbox
    """
    from ssi_wallet.holder.agent import holder_client, holder_paths
    from ssi_wallet.holder.eligibility import list_notices, mark_seen
    from ssi_wallet.holder.notices import write_count

    client = holder_client()
    notices = list_notices(client)

    def human(con) -> None:
        if not notices:
            con.print("Your inbox is empty.")
        for n in notices:
            new = "[bold]new[/] " if n.get("seen") != "yes" else ""
            text = (n.get("text") or {}).get("en") or n.get("scheme_id")
            con.print(f"{new}{n.get('at', '')[:10]}  You may be eligible: {text} "
                      f"({n.get('agency')}). Apply: ssi-wallet apply {n.get('scheme_id')}")

    emit(notices, json_out=json_out, human=human)
    mark_seen(client, notices)
    write_count(holder_paths().root, 0)


def apply(
    scheme_id: Annotated[str, typer.Argument(help="The scheme, as `schemes list` shows.")],
    yes: YesOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the agency.")] = 60.0,
    json_out: JsonOpt = False,
) -> None:
    """Apply for a scheme: connect to its agency and answer the proof request.

    You see the usual preview first and nothing is sent without your consent.

    Example: ssi-wallet apply svb-tas
    """
    from ssi_wallet.cli.requests_cmd import render_plan
    from ssi_wallet.errors import UsageError
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.applying import receive_request
    from ssi_wallet.holder.proofs import plan_presentation, present

    client = holder_client()
    notice(f"connecting to the agency of {scheme_id}…")
    connection, request_id = receive_request(client, scheme_id, timeout=timeout)
    plan = plan_presentation(client, request_id)
    if not plan.ready:
        raise UsageError("cannot apply: " + "; ".join(plan.problems))
    if not yes:
        render_plan(err(), plan)
    if not confirm("Send this presentation to apply?", yes=yes):
        raise typer.Abort()
    record = present(client, plan)
    doc = {"scheme": scheme_id, "connection_id": connection.id, "request_id": request_id,
           "state": record.get("state"), "revealed": plan.revealed,
           "predicates": [c.words for c in plan.choices if c.kind == "predicate"]}
    emit(doc, json_out=json_out, human=f"Applied for {scheme_id}: presentation sent to "
                                       f"{connection.their_label}.")
