"""The verifier's services: send a policy's proof request, link case invitations, decide
a finished proof exchange exactly once, re-check brakes, catch up after downtime.

Used by the CLI (`ssi-wallet verifier ...`) and by `verifier serve` alike; the database
makes them safe to run at the same time (a decision commits once, whoever comes first).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.cases import CaseStore, open_case_store
from ssi_wallet.agency.connections import post_over
from ssi_wallet.agency.policy import (
    Policy,
    build_request,
    check_presentation,
    load_policy,
    parse_policy_text,
)
from ssi_wallet.errors import NotFoundError, SsiWalletError, UsageError

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agent.admin import AdminClient

log = logging.getLogger("ssi_wallet.verifier")
RECORDS = "/present-proof-2.0/records"
FINAL_STATES = ("done", "abandoned")
STALLED_AFTER = 20.0   # seconds a received presentation may wait for its verification
#: Up to this many open exchanges, catch-up reads each one's record; beyond, it lists the
#: finished records once. Listing always was O(every exchange ever kept): 48 KiB a record,
#: 14 s for 152 records under load, every minute (found by the soak).
CATCH_UP_BY_ID = 100
CASE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
CASE_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$")


@dataclass
class Outcome:
    """What processing one proof exchange did."""

    pres_ex_id: str
    status: str                     # decided | already | unknown | pending | superseded
    decision: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)     # exchanges of a two-step policy

    def to_json(self) -> dict[str, Any]:
        return {"pres_ex_id": self.pres_ex_id, "status": self.status,
                "decision": self.decision, "actions": self.actions,
                "steps": self.steps or [self.pres_ex_id]}


# ------------------------------------------------------------------ agency access


def agency_for(name: str | None, *, allow_file: bool = False) -> AgencyConfig:
    """The verifier agency NAME (or the only one); with `allow_file` (checks that write
    nothing, like `policy validate`) also an agency YAML file given by path."""
    if name and (name.endswith((".yaml", ".yml")) or "/" in name):
        if not allow_file:
            raise UsageError(f"--agency {name}: give the name of an initialised agency",
                             hint="ssi-wallet agency init NAME --from FILE")
        from ssi_wallet.agency.config import load_agency_config

        return load_agency_config(Path(name))
    from ssi_wallet.agency.runtime import pick_agency

    return pick_agency(name, "verifier")


def client_for(config: AgencyConfig) -> AdminClient:
    from ssi_wallet.agency.runtime import agency_client

    return agency_client(config)


def store_for(config: AgencyConfig) -> CaseStore:
    return open_case_store(config)


def policy_for(config: AgencyConfig, path: str | Path) -> Policy:
    """Load a policy file; a bare name finds it among the agency's policies."""
    candidate = Path(path)
    if not candidate.is_file():
        for known in config.policies:
            if known.stem == str(path) or known.name == str(path):
                candidate = known
                break
    policy = load_policy(candidate)
    from ssi_wallet.agency.policy import validate

    validate(policy, config)
    return policy


def check_case_ref(case_ref: str) -> str:
    if not CASE_RE.match(case_ref):
        raise UsageError(f"{case_ref!r}: a case reference is letters, digits and . _ : / - "
                         "(at most 100)")
    return case_ref


# ------------------------------------------------------------------ requests


def send_request(config: AgencyConfig, client: AdminClient, policy: Policy, *,
                 connection_id: str, case_ref: str | None = None, month: int | None = None,
                 purpose: str = "request", store: CaseStore | None = None,
                 comment: str | None = None) -> dict[str, Any]:
    """Send the policy's proof request over `connection_id` and record the exchange.

    The case is `case_ref`, else the case linked to the connection, else a new case
    `C-<connection id>`.
    """
    store = store or store_for(config)
    origin = "connection"
    if case_ref is None:
        linked = _case_of_connection(store, client, connection_id)
        if linked is not None:
            case_ref, origin = linked["case_ref"], linked["origin"]
        else:
            case_ref = f"C-{connection_id}"
    else:
        check_case_ref(case_ref)
    as_of = dt.date(month // 100, month % 100, 1) if month else dt.date.today()
    built = build_request(policy, config, as_of=as_of, month=month)
    body = {
        "connection_id": connection_id,
        "auto_verify": True,
        "auto_remove": False,
        "comment": comment or policy.description.get("en") or policy.name,
        "presentation_request": {"indy": built.request},
    }
    record = post_over(client, config.name, connection_id, "/present-proof-2.0/send-request",
                       body)
    pres_ex_id = record["pres_ex_id"]
    store.add_exchange(
        pres_ex_id=pres_ex_id, case_ref=case_ref, connection_id=connection_id,
        purpose=purpose, policy_name=policy.name,
        policy_path=str(policy.path) if policy.path else None,
        policy_sha256=policy.sha256, policy_text=_policy_text(policy),
        request=built.request, as_of=as_of, workflow=policy.workflow, case_origin=origin)
    superseded = supersede_unanswered(client, store, case_ref, policy.name, pres_ex_id)
    return {"pres_ex_id": pres_ex_id, "case_ref": case_ref, "connection_id": connection_id,
            "policy": policy.name, "purpose": purpose, "as_of": as_of.isoformat(),
            "reveal": list(built.reveal),
            "predicates": [p.words() for p in built.predicates],
            "state": record.get("state"), "superseded": superseded}


def supersede_unanswered(client: AdminClient, store: CaseStore, case_ref: str,
                         policy_name: str, new_id: str) -> list[str]:
    """Close the case's earlier requests for the same policy that were never answered,
    now that `new_id` asks again. A request lost with the agent's in-memory queue stays
    `request-sent` for good and nothing else would move it. The store marks it
    `superseded` (never decided) and the agent abandons it with a problem report, so a
    wallet that did get it sees it withdrawn. One already answered is left to be decided."""
    closed = []
    for old in store.exchanges_of(case_ref):
        if old.pres_ex_id == new_id or old.status != "requested" \
                or old.policy_name != policy_name:
            continue
        try:
            state = (client.get(f"{RECORDS}/{old.pres_ex_id}") or {}).get("state")
        except NotFoundError:
            state = None
        if state not in (None, "request-sent") or not store.supersede(old.pres_ex_id):
            continue
        closed.append(old.pres_ex_id)
        if state is None:
            continue
        try:
            client.post(f"{RECORDS}/{old.pres_ex_id}/problem-report",
                        json={"description": f"superseded by a new request {new_id}"})
        except SsiWalletError as error:
            log.warning("superseded request %s not abandoned at the agent: %s",
                        old.pres_ex_id, error)
    if closed:
        log.info("case %s: request %s supersedes %s", case_ref, new_id, ", ".join(closed))
    return closed


def _policy_text(policy: Policy) -> str:
    if policy.path and Path(policy.path).is_file():
        return Path(policy.path).read_text(encoding="utf-8")
    raise NotFoundError(f"policy {policy.name}: its file is gone")


def _case_of_connection(store: CaseStore, client: AdminClient, connection_id: str,
                        connection: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The case linked to a connection: directly, or through its case invitation."""
    case = store.case_for_connection(connection_id)
    if case is not None:
        return case
    if connection is None:
        try:
            connection = client.get(f"/connections/{connection_id}")
        except NotFoundError:
            return None
    invi_msg_id = connection.get("invitation_msg_id")
    if invi_msg_id and store.link_connection(invi_msg_id, connection_id) is not None:
        return store.case_for_connection(connection_id)
    return None


def wait_for_outcome(config: AgencyConfig, client: AdminClient, pres_ex_id: str, events,
                     *, timeout: float) -> Outcome:
    """Wait (on the agent's event stream, opened before the request was sent) until the
    exchange ends, then decide it (or read the decision `serve` made). For a two-step
    policy, also the second exchange."""
    import time

    deadline = time.monotonic() + timeout
    store = store_for(config)
    steps: list[Outcome] = []
    while True:
        def final(payload: dict[str, Any], wanted: str = pres_ex_id) -> bool:
            return payload.get("pres_ex_id") == wanted and payload.get("state") in FINAL_STATES

        record = client.get(f"{RECORDS}/{pres_ex_id}")
        if record.get("state") not in FINAL_STATES:
            events.wait("present_proof_v2_0", final,
                        timeout=max(deadline - time.monotonic(), 0.1))
        outcome = process_exchange(config, client, pres_ex_id, store=store)
        steps.append(outcome)
        if not outcome.decision or outcome.decision["outcome"] != "proven":
            break
        child = store.child_of(pres_ex_id)
        while child is None:          # the follow-up is sent by whoever decided step one
            if time.monotonic() > deadline:
                from ssi_wallet.agent.events import EventTimeout

                raise EventTimeout("the second request of the policy was not sent in time")
            events.next(timeout=0.5)
            child = store.child_of(pres_ex_id)
        pres_ex_id = child.pres_ex_id
    final_outcome = steps[-1]
    if len(steps) > 1:
        final_outcome.actions = [*steps[0].actions, *final_outcome.actions]
        final_outcome.steps = [s.pres_ex_id for s in steps]
    return final_outcome


def send_followup(config: AgencyConfig, client: AdminClient, spec: dict[str, Any],
                  store: CaseStore | None = None) -> dict[str, Any]:
    """Send the second request of a two-step policy (the `follow_up` outbox action);
    idempotent: a retried action finds it sent."""
    from ssi_wallet.agency.policy import build_followup

    store = store or store_for(config)
    parent = store.get_exchange(spec["parent"])
    if parent is None:
        raise NotFoundError(f"no exchange {spec['parent']}")
    existing = store.child_of(parent.pres_ex_id)
    if existing is not None:
        return {"pres_ex_id": existing.pres_ex_id, "already": True}
    policy = parse_policy_text(parent.policy_text,
                               Path(parent.policy_path) if parent.policy_path else None)
    built = build_followup(policy, config, first_revealed=spec["revealed"],
                           cred_def_id=spec["cred_def_id"])
    record = client.post("/present-proof-2.0/send-request", json={
        "connection_id": parent.connection_id, "auto_verify": True, "auto_remove": False,
        "comment": (policy.description.get("en") or policy.name) + " (second step)",
        "presentation_request": {"indy": built.request}})
    store.add_exchange(
        pres_ex_id=record["pres_ex_id"], case_ref=parent.case_ref,
        connection_id=parent.connection_id, purpose="then_reveal",
        policy_name=parent.policy_name, policy_path=parent.policy_path,
        policy_sha256=parent.policy_sha256, policy_text=parent.policy_text,
        request=built.request, as_of=parent.as_of, workflow=policy.workflow,
        parent_pres_ex_id=parent.pres_ex_id)
    return {"pres_ex_id": record["pres_ex_id"]}


# ------------------------------------------------------------------ invitations


def create_invitation(config: AgencyConfig, client: AdminClient, case_ref: str, *,
                      policy: Policy | None = None, store: CaseStore | None = None
                      ) -> dict[str, Any]:
    """A single-use out-of-band invitation whose connection will belong to case
    `case_ref` (for one citizen whose case the agency knows, e.g. a CJIB case)."""
    check_case_ref(case_ref)
    store = store or store_for(config)
    invitation = _oob_invitation(config, client, alias=f"case {case_ref}", multi_use=False)
    invi_msg_id = invitation["invi_msg_id"]
    store.add_invitation(case_ref, invi_msg_id, workflow=policy.workflow if policy else None,
                         policy_path=str(policy.path) if policy and policy.path else None)
    return {"case_ref": case_ref, "invi_msg_id": invi_msg_id,
            "invitation_url": invitation["invitation_url"],
            "policy": policy.name if policy else None, "multi_use": False}


def create_scheme_invitation(config: AgencyConfig, client: AdminClient, case_prefix: str, *,
                             policy: Policy | None = None, store: CaseStore | None = None
                             ) -> dict[str, Any]:
    """A multi-use invitation to publish for a scheme (in its catalogue entry): every
    citizen who connects through it gets a case of his own, `<case_prefix>-<connection
    id>`, and the policy's request when it says `request_on_connect: true`."""
    if not CASE_PREFIX_RE.match(case_prefix):
        raise UsageError(f"{case_prefix!r}: a case prefix is letters, digits and . _ : - "
                         "(at most 40)")
    store = store or store_for(config)
    invitation = _oob_invitation(config, client, alias=f"scheme {case_prefix}",
                                 multi_use=True)
    invi_msg_id = invitation["invi_msg_id"]
    store.add_scheme_invitation(invi_msg_id, case_prefix=case_prefix,
                                workflow=policy.workflow if policy else None,
                                policy_path=str(policy.path) if policy and policy.path else None)
    return {"case_prefix": case_prefix, "invi_msg_id": invi_msg_id,
            "invitation_url": invitation["invitation_url"],
            "policy": policy.name if policy else None, "multi_use": True}


def _oob_invitation(config: AgencyConfig, client: AdminClient, *, alias: str,
                    multi_use: bool) -> dict[str, Any]:
    return client.post(
        "/out-of-band/create-invitation",
        params={"auto_accept": True, "multi_use": multi_use},
        json={"handshake_protocols": ["https://didcomm.org/didexchange/1.0",
                                      "https://didcomm.org/connections/1.0"],
              "use_public_did": False, "my_label": config.label, "alias": alias})


def on_connection(config: AgencyConfig, client: AdminClient, payload: dict[str, Any],
                  store: CaseStore | None = None) -> dict[str, Any] | None:
    """A `connections` event: link a case invitation's connection to its case and, when
    the invitation names a policy that asks for it, send the proof request (once)."""
    if payload.get("state") not in ("active", "completed"):
        return None
    invi_msg_id = payload.get("invitation_msg_id")
    connection_id = payload.get("connection_id")
    if not invi_msg_id or not connection_id:
        return None
    store = store or store_for(config)
    invitation = store.link_connection(invi_msg_id, connection_id)
    if invitation is None:
        return None
    result: dict[str, Any] = {"case_ref": invitation["case_ref"],
                              "connection_id": connection_id}
    if invitation["first_request"] and invitation.get("policy_path"):
        policy = load_policy(Path(invitation["policy_path"]))
        if policy.request_on_connect:
            result["request"] = send_request(config, client, policy,
                                             connection_id=connection_id,
                                             case_ref=invitation["case_ref"], store=store)
    return result


# ------------------------------------------------------------------ deciding


def process_exchange(config: AgencyConfig, client: AdminClient, pres_ex_id: str, *,
                     store: CaseStore | None = None, run_actions: bool = True,
                     today: dt.date | None = None,
                     record: dict[str, Any] | None = None) -> Outcome:
    """Decide a finished proof exchange exactly once (idempotent by pres_ex_id).

    `record` is the exchange as the agent sent it to `serve` (its webhook, which only
    the agent can post: it carries the agency's webhook key); without it the record
    is read from the agent."""
    from ssi_wallet.agency import workflows
    from ssi_wallet.agency.actions import render, run_pending

    store = store or store_for(config)
    exchange = store.get_exchange(pres_ex_id)
    if exchange is None:
        return Outcome(pres_ex_id, "unknown")
    if exchange.status == "superseded":  # a newer request of its case asks instead
        return Outcome(pres_ex_id, "superseded")
    if exchange.status == "processed":
        return Outcome(pres_ex_id, "already", store.decision(pres_ex_id),
                       store.actions_of(pres_ex_id))
    # The agent's record is the authority: as it sent it, or read from it.
    if record is None or record.get("pres_ex_id") != pres_ex_id:
        record = client.get(f"{RECORDS}/{pres_ex_id}")
    if record.get("state") not in FINAL_STATES:
        return Outcome(pres_ex_id, "pending")
    policy = parse_policy_text(exchange.policy_text,
                               Path(exchange.policy_path) if exchange.policy_path else None)
    facts = check_presentation(policy, config, sent=exchange.request, record=record,
                               connection_id=exchange.connection_id)
    if exchange.parent_pres_ex_id:
        # The second step of a two-step policy: what the first proof established counts.
        first = store.audit_of(exchange.parent_pres_ex_id)
        if first is not None:
            learned = first["learned"]
            facts.revealed = {**learned["revealed"], **facts.revealed}
            facts.predicates = [*learned["predicates"], *facts.predicates]
            facts.issuers = list(dict.fromkeys([*first["issuers"], *facts.issuers]))
    first_of_two = bool(policy.then_reveal) and not exchange.parent_pres_ex_id
    today = today or dt.date.today()
    with store.db.transaction() as tx:
        current = store.get_exchange(pres_ex_id, tx, lock=True)
        if current is None or current.status != "requested":  # processed or superseded
            decided = False
        else:
            decided = True
            case = store.ensure_case(tx, exchange.case_ref, workflow=policy.workflow,
                                     connection_id=exchange.connection_id, origin="connection")
            ctx = workflows.Context(policy=policy, agency=config, facts=facts, store=store,
                                    tx=tx, case=case, pres_ex_id=pres_ex_id,
                                    purpose=exchange.purpose, today=today)
            if first_of_two and facts.outcome == "verified":
                decision = workflows.Decision(
                    "proven", "the predicates hold; the values to act on are asked in a "
                    "second request (then_reveal)", {})
            else:
                decision = workflows.decide(ctx)
            values = {**decision.values, "case_ref": exchange.case_ref,
                      "outcome": decision.outcome, "proof_outcome": facts.outcome,
                      "summary": decision.summary, "policy": policy.name,
                      "pres_ex_id": pres_ex_id, "today": today.isoformat()}
            store.add_decision(tx, pres_ex_id=pres_ex_id, case_ref=exchange.case_ref,
                               workflow=policy.workflow, proof_outcome=facts.outcome,
                               outcome=decision.outcome, summary=decision.summary,
                               values=values)
            store.add_audit(tx, pres_ex_id=pres_ex_id, case_ref=exchange.case_ref,
                            policy_name=policy.name, policy_sha256=policy.sha256,
                            proof_outcome=facts.outcome, outcome=decision.outcome,
                            learned=facts.learned(), problems=facts.problems,
                            issuers=facts.issuers)
            seq = 0
            if decision.outcome == "proven":
                store.add_action(tx, pres_ex_id, seq, "follow_up", {
                    "parent": pres_ex_id, "revealed": facts.revealed,
                    "cred_def_id": facts.cred_def_ids[0] if facts.cred_def_ids else ""},
                    exchange.connection_id)
                seq += 1
            for action in policy.actions.get(facts.outcome, ()) \
                    if decision.outcome != "proven" else ():
                if action.applies(decision.outcome):
                    store.add_action(tx, pres_ex_id, seq, action.kind,
                                     render(action, values, config), exchange.connection_id)
                    seq += 1
            store.mark_processed(tx, pres_ex_id, facts.outcome)
    if not decided:
        return Outcome(pres_ex_id, "already", store.decision(pres_ex_id),
                       store.actions_of(pres_ex_id))
    log.info("decided %s on case %s: %s", pres_ex_id, exchange.case_ref, decision.outcome)
    ran = run_pending(store, client, config, pres_ex_id) if run_actions else []
    return Outcome(pres_ex_id, "decided", store.decision(pres_ex_id), ran)


def catch_up(config: AgencyConfig, client: AdminClient, store: CaseStore | None = None
             ) -> list[Outcome]:
    """Decide every exchange we sent that ended while nobody listened, and retry the
    actions a crash left undone."""
    from ssi_wallet.agency.actions import run_pending

    store = store or store_for(config)
    store.release_abandoned_actions()
    outcomes = []
    open_ids = [e.pres_ex_id for e in store.open_exchanges()]
    if len(open_ids) > CATCH_UP_BY_ID:
        finished = set()
        for state in FINAL_STATES:
            records = client.get(RECORDS, params={"state": state, "role": "verifier"}) or {}
            finished |= {r.get("pres_ex_id") for r in records.get("results") or []}
        received = client.get(RECORDS, params={"state": "presentation-received",
                                               "role": "verifier"}) or {}
        finished |= set(verify_stalled(client, received.get("results") or [], set(open_ids)))
        open_ids = [i for i in open_ids if i in finished]
    else:
        records = _records_by_id(client, open_ids)
        verified = verify_stalled(client, records, set(open_ids))
        open_ids = [r["pres_ex_id"] for r in records
                    if r.get("state") in FINAL_STATES or r["pres_ex_id"] in verified]
    for pres_ex_id in open_ids:
        try:
            outcome = process_exchange(config, client, pres_ex_id, store=store)
        except NotFoundError:
            continue  # the agent no longer has the record: nothing to decide
        if outcome.status != "pending":
            outcomes.append(outcome)
    run_pending(store, client, config)
    return outcomes


def verify_stalled(client: AdminClient, records: list[dict[str, Any]], open_ids: set[str],
                   *, idle_seconds: float = STALLED_AFTER) -> list[str]:
    """Verify the presentations our agent received but never verified. ACA-Py verifies
    on receipt, in memory: an agent killed in between keeps the record at
    presentation-received for good (found by the crash runs). Of `records`, those of
    open exchanges in that state and idle for `idle_seconds`, so a verification under
    way is not raced."""
    now = dt.datetime.now(dt.UTC)
    verified = []
    for record in records:
        if record.get("state") != "presentation-received":
            continue
        pres_ex_id = record.get("pres_ex_id")
        try:
            idle = (now - dt.datetime.fromisoformat(record["updated_at"])).total_seconds()
        except (KeyError, TypeError, ValueError):
            idle = idle_seconds
        if pres_ex_id not in open_ids or idle < idle_seconds:
            continue
        try:
            client.post(f"{RECORDS}/{pres_ex_id}/verify-presentation", json={})
        except SsiWalletError as error:
            log.warning("stalled presentation %s not verified: %s", pres_ex_id, error)
            continue
        log.info("verified stalled presentation %s (its agent had stopped)", pres_ex_id)
        verified.append(pres_ex_id)
    return verified


def _records_by_id(client: AdminClient, pres_ex_ids: list[str]) -> list[dict[str, Any]]:
    """The agent's records of these exchanges (those it still has)."""
    found = []
    for pres_ex_id in pres_ex_ids:
        try:
            found.append(client.get(f"{RECORDS}/{pres_ex_id}"))
        except NotFoundError:
            continue
    return found


# ------------------------------------------------------------------ re-checks


def recheck(config: AgencyConfig, client: AdminClient, case_ref: str, *,
            store: CaseStore | None = None) -> dict[str, Any]:
    """Ask again, over the case's connection, with the policy of its last exchange."""
    store = store or store_for(config)
    case = store.get_case(case_ref)
    exchanges = store.exchanges_of(case_ref)
    if not exchanges or not case.get("connection_id"):
        raise UsageError(f"case {case_ref} has no proof exchange to re-check yet")
    last = exchanges[-1]
    policy = parse_policy_text(last.policy_text,
                               Path(last.policy_path) if last.policy_path else None)
    return send_request(config, client, policy, connection_id=case["connection_id"],
                        case_ref=case_ref, purpose="recheck", store=store)


def recheck_due(config: AgencyConfig, client: AdminClient, *, interval: float,
                store: CaseStore | None = None) -> list[dict[str, Any]]:
    """Re-check every case with an active brake whose last exchange is older than
    `interval` seconds and has ended (no request is left waiting twice)."""
    store = store or store_for(config)
    sent = []
    now = dt.datetime.now(dt.UTC)
    for case_ref in store.cases_with_active_brake():
        exchanges = store.exchanges_of(case_ref)
        if not exchanges or exchanges[-1].status != "processed":
            continue
        last = dt.datetime.fromisoformat(exchanges[-1].requested_at)
        if (now - last).total_seconds() >= interval:
            try:
                sent.append(recheck(config, client, case_ref, store=store))
            except Exception as error:  # noqa: BLE001 - one case must not stop the rest
                log.warning("re-check of case %s failed: %s", case_ref, error)
    return sent


def new_case_ref(prefix: str = "CASE") -> str:
    return f"{prefix}-{dt.date.today().strftime('%Y%m%d')}-{secrets.token_hex(3).upper()}"
