"""`ssi-wallet verifier ...`: policies, proof requests, case invitations, the webhook
server that turns proofs into decisions, re-checks and the case store.

Examples:
  ssi-wallet verifier policy validate examples/policies/income-supplement.yaml --agency municipality
  ssi-wallet verifier request --agency municipality --policy income-supplement \\
      --connection 3fa8... --month 2026-10 --wait
  ssi-wallet verifier invite --agency cjib --case CJIB-2026-001 --policy emergency-brake
  ssi-wallet verifier invite --agency svb --scheme TAS --policy asbestos-contribution
  ssi-wallet verifier serve --agency cjib
  ssi-wallet verifier recheck --agency cjib --case CJIB-2026-001
  ssi-wallet verifier cases list
  ssi-wallet verifier cases show CJIB-2026-001 --json
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ssi_wallet.cli.output import JsonOpt, emit, notice, table

app = typer.Typer(help="Verifier agencies: policies, proof requests, decisions, cases.")
policy_app = typer.Typer(help="Check policy files.")
cases_app = typer.Typer(help="The case store: cases, decisions, payments, brakes, audit.")
app.add_typer(policy_app, name="policy")
app.add_typer(cases_app, name="cases")

AgencyOpt = Annotated[str | None, typer.Option(
    "--agency", help="The verifier agency (its name, or an agency YAML file); "
                     "default: the only verifier agency.")]
CaseOpt = Annotated[str, typer.Option("--case", help="The case reference.")]


@policy_app.command("validate")
def policy_validate(
    file: Annotated[Path, typer.Argument(help="The policy YAML file.")],
    agency: Annotated[str | None, typer.Option(
        "--agency", help="Also check figures and settings against this agency "
                         "(name or YAML file).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a policy file; with --agency also its figures and show the request it builds.

    Example: ssi-wallet verifier policy validate examples/policies/emergency-brake.yaml
    """
    from ssi_wallet.agency.policy import (
        build_request,
        load_policy,
        validate,
        warnings_against_agency,
    )

    policy = load_policy(file)
    doc: dict[str, Any] = {"ok": True, "policy": policy.summary(), "warnings": []}
    if agency:
        from ssi_wallet.agency.verifier import agency_for

        config = agency_for(agency, allow_file=True)
        validate(policy, config)
        doc["agency"] = config.name
        doc["warnings"] = warnings_against_agency(policy, config)
        if not doc["warnings"]:
            built = build_request(policy, config)
            doc["request"] = built.request
            doc["asks"] = ([f"reveals {n}" for n in built.reveal]
                           + [f"proves {p.words()}" for p in built.predicates])

    def human(con: Console) -> None:
        con.print(f"[green]ok[/] {file}: policy [bold]{policy.name}[/] "
                  f"(workflow {policy.workflow})")
        for line in doc.get("asks", []):
            con.print(f"  {line}")
        for warning in doc["warnings"]:
            con.print(f"  [yellow]warning:[/] {warning}")
        if not agency and policy.figures:
            con.print(f"  figures {', '.join(policy.figures)} not checked: pass --agency")

    emit(doc, json_out=json_out, human=human)


@app.command("request")
def request(
    policy: Annotated[str, typer.Option("--policy", help="Policy file (or the name of one "
                                                          "of the agency's policies).")],
    connection: Annotated[str, typer.Option("--connection", help="The connection id.")],
    case: Annotated[str | None, typer.Option(
        "--case", help="Case reference (default: the connection's case, or C-<connection>)."
    )] = None,
    month: Annotated[str | None, typer.Option(
        "--month", help="YYYY-MM: ask for that month's credential; figures of that month.")]
    = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the outcome and decide it.")]
    = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 300.0,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send a policy's proof request over a connection and record the exchange.

    Example: ssi-wallet verifier request --policy income-supplement --connection 3fa8... --wait
    """
    from ssi_wallet.agency.verifier import (
        agency_for,
        client_for,
        policy_for,
        send_request,
        wait_for_outcome,
    )
    from ssi_wallet.encoding import month_to_int

    config = agency_for(agency)
    pol = policy_for(config, policy)
    month_int = month_to_int(month) if month else None
    with client_for(config) as client:
        if not wait:
            sent = send_request(config, client, pol, connection_id=connection, case_ref=case,
                                month=month_int)
            emit(sent, json_out=json_out, human=lambda con: _render_sent(con, sent))
            return
        with client.events() as events:   # subscribed before sending: no event is missed
            sent = send_request(config, client, pol, connection_id=connection, case_ref=case,
                                month=month_int)
            if not json_out:
                _render_sent(Console(stderr=True, highlight=False), sent)
                notice("waiting for the citizen's answer ...")
            outcome = wait_for_outcome(config, client, sent["pres_ex_id"], events,
                                       timeout=timeout)
    doc = {**outcome.to_json(), **sent}
    emit(doc, json_out=json_out, human=lambda con: _render_outcome(con, doc))


@app.command("invite")
def invite(
    case: Annotated[str | None, typer.Option(
        "--case", help="Link the one connection made through it to this case "
                       "(single-use).")] = None,
    scheme: Annotated[str | None, typer.Option(
        "--scheme", help="A multi-use invitation to publish for a scheme: every connection "
                         "made through it opens a case of its own, PREFIX-<connection>.",
        metavar="PREFIX")] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", help="Policy to request when the citizen connects (if it says "
                         "request_on_connect: true) and for his case.")] = None,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """An out-of-band invitation: for case REF, or for a scheme (one case per connection).

    Example: ssi-wallet verifier invite --case CJIB-2026-001 --policy emergency-brake
    Example: ssi-wallet verifier invite --scheme TAS --policy asbestos-contribution --agency svb
    """
    from ssi_wallet.agency.verifier import (
        agency_for,
        client_for,
        create_invitation,
        create_scheme_invitation,
        policy_for,
    )
    from ssi_wallet.errors import UsageError

    if (case is None) == (scheme is None):
        raise UsageError("give --case REF or --scheme PREFIX (one of them)")
    config = agency_for(agency)
    pol = policy_for(config, policy) if policy else None
    with client_for(config) as client:
        if case is not None:
            doc = create_invitation(config, client, case, policy=pol)
        else:
            doc = create_scheme_invitation(config, client, scheme or "", policy=pol)

    def human(con: Console) -> None:
        if doc["multi_use"]:
            con.print(f"Multi-use invitation for scheme cases [bold]{doc['case_prefix']}-…[/] "
                      "(publish it; each connection gets its own case):")
        else:
            con.print(f"Invitation for case [bold]{doc['case_ref']}[/]:")
        con.print(doc["invitation_url"], soft_wrap=True)

    emit(doc, json_out=json_out, human=human)


@app.command("serve")
def serve(
    agency: AgencyOpt = None,
    background: Annotated[bool, typer.Option("--background", help="Run detached; print the "
                                                                  "PID.")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop a background server.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Is it running?")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Receive the agency agent's webhooks and decide proofs (foreground until Ctrl-C).

    The agent must post to the URL `serve --status` names (its key is not printed; the
    agency runtime passes it to ACA-Py).
    Example: ssi-wallet verifier serve --agency municipality
    """
    from ssi_wallet.agency import serve as server
    from ssi_wallet.agency.verifier import agency_for

    config = agency_for(agency)
    if stop:
        stopped = server.stop_background(config)
        emit({"agency": config.name, "stopped": stopped}, json_out=json_out,
             human="stopped" if stopped else "not running")
        return
    if status:
        doc = {"agency": config.name, **server.serve_status(config)}
        emit(doc, json_out=json_out,
             human=f"verifier serve of {config.name}: "
                   + (f"running (pid {doc['pid']}, port {doc['port']})" if doc["running"]
                      else "not running"))
        return
    if background:
        pid = server.serve_in_background(config)
        doc = {"agency": config.name, "pid": pid, **server.serve_status(config)}
        emit(doc, json_out=json_out, human=f"verifier serve running in the background "
                                           f"(pid {pid}, port {doc['port']})")
        return
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server.run_forever(config, ready=lambda s: notice(
        f"verifier serve of {config.name} listening on 127.0.0.1:{s.port} (Ctrl-C stops)"))


@app.command("recheck")
def recheck(
    case: CaseOpt,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the outcome.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 300.0,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ask the citizen of case REF again (the brake is lifted if the proof now fails).

    Example: ssi-wallet verifier recheck --case CJIB-2026-001 --wait
    """
    from ssi_wallet.agency.verifier import agency_for, client_for, wait_for_outcome
    from ssi_wallet.agency.verifier import recheck as do_recheck

    config = agency_for(agency)
    with client_for(config) as client:
        if not wait:
            sent = do_recheck(config, client, case)
            emit(sent, json_out=json_out, human=lambda con: _render_sent(con, sent))
            return
        with client.events() as events:
            sent = do_recheck(config, client, case)
            outcome = wait_for_outcome(config, client, sent["pres_ex_id"], events,
                                       timeout=timeout)
    doc = {**outcome.to_json(), **sent}
    emit(doc, json_out=json_out, human=lambda con: _render_outcome(con, doc))


@cases_app.command("list")
def cases_list(agency: AgencyOpt = None, json_out: JsonOpt = False) -> None:
    """List the cases.

    Example: ssi-wallet verifier cases list --json
    """
    from ssi_wallet.agency.verifier import agency_for, store_for

    store = store_for(agency_for(agency))
    rows = store.list_cases()
    docs = [{"case_ref": r["case_ref"], "workflow": r["workflow"],
             "connection_id": r["connection_id"], "origin": r["origin"],
             "status": r["status"], "updated_at": r["updated_at"]} for r in rows]
    emit(docs, json_out=json_out, human=lambda con: con.print(table(
        "Cases", ["case", "workflow", "status", "connection", "updated"],
        [(d["case_ref"], d["workflow"], d["status"], d["connection_id"], d["updated_at"])
         for d in docs])) if docs else con.print("No cases yet."))


@cases_app.command("show")
def cases_show(case_ref: Annotated[str, typer.Argument(help="The case reference.")],
               agency: AgencyOpt = None, json_out: JsonOpt = False) -> None:
    """One case: exchanges, decisions, payments, awards, brake history and audit.

    Example: ssi-wallet verifier cases show CJIB-2026-001
    """
    from ssi_wallet.agency.verifier import agency_for, store_for

    doc = store_for(agency_for(agency)).case_summary(case_ref)
    emit(doc, json_out=json_out, human=lambda con: _render_case(con, doc))


# ------------------------------------------------------------------ rendering


def _render_sent(con: Console, sent: dict[str, Any]) -> None:
    con.print(f"Proof request {sent['pres_ex_id']} sent for case [bold]{sent['case_ref']}[/] "
              f"(policy {sent['policy']})")
    for name in sent.get("reveal", []):
        con.print(f"  asks to reveal {name}")
    for words in sent.get("predicates", []):
        con.print(f"  asks to prove {words}")
    for old in sent.get("superseded", []):
        con.print(f"  closes the earlier unanswered request {old} (superseded)")


def _render_outcome(con: Console, doc: dict[str, Any]) -> None:
    decision = doc.get("decision") or {}
    if not decision:
        con.print(f"Exchange {doc['pres_ex_id']}: {doc['status']}")
        return
    from rich.markup import escape

    con.print(f"[bold]{escape(decision['outcome'])}[/]: {escape(decision['summary'])}")
    for action in doc.get("actions") or []:
        state = "ok" if action.get("ok", action.get("status") == "done") else "failed"
        con.print(f"  action {action['kind']}: {state}")


def _render_case(con: Console, doc: dict[str, Any]) -> None:
    from rich.markup import escape

    from ssi_wallet.encoding import display

    con.print(f"[bold]Case {doc['case_ref']}[/] ({doc['workflow'] or 'no workflow'}): "
              f"{doc['status']}" + (" — brake ACTIVE" if doc["brake_active"] else ""))
    for d in doc["decisions"]:
        con.print(escape(f"  {d['decided_at']}  {d['outcome']}: {d['summary']}"))
    for p in doc["payments"]:
        con.print(f"  payment {display('month', p['month'])}: "
                  f"{display('amount_cents', p['amount_cents'])}")
    for a in doc["awards"]:
        con.print(f"  award {a['scheme']}: {display('amount_cents', a['amount_cents'])} "
                  f"({a['decision_ref']})")
    for b in doc["brakes"]:
        con.print(escape(f"  brake {b['event']} at {b['at']}: {b['reason']}"))
    for a in doc["audit"]:
        learned = a["learned"]
        revealed = ", ".join(f"{k}={display(k, v)}" for k, v in learned["revealed"].items())
        proven = "; ".join(p["words"] for p in learned["predicates"])
        con.print(escape(f"  audit {a['pres_ex_id']}: policy {a['policy']} "
                         f"({a['policy_sha256'][:12]}), learned [{revealed or 'nothing revealed'}]"
                         f"{' proven: ' + proven if proven else ''} -> {a['outcome']}"))
