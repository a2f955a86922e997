"""Proof requests: preview what would leave the wallet, then present or decline.

The preview is a `Plan`: for every requested attribute and predicate, the credential
that would answer it (default: the newest valid one), the values that would be revealed,
and predicates in plain words. Nothing is sent until the citizen agrees; a revoked or
expired credential is never used silently.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ssi_wallet.encoding import display
from ssi_wallet.errors import InvalidInputError, NotFoundError, UsageError
from ssi_wallet.holder.connections import get_connection
from ssi_wallet.holder.credentials import is_revoked
from ssi_wallet.holder.models import Connection, Credential, ProofRequest
from ssi_wallet.holder.planning import (
    MAX_CANDIDATES,
    PAGE,
    Choice,
    NeedFacts,
    Plan,
    PlanFacts,
    all_referents,
    check_use,
    decide_plan,
    predicate_holds,
    revocation_time,
)
from ssi_wallet.holder.waiting import wait_for_state

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

RECORDS = "/present-proof-2.0/records"
CANDIDATES = "/ssi-wallet/candidates"
OPEN_STATE = "request-received"
__all__ = ["MAX_CANDIDATES", "Choice", "Plan", "predicate_holds"]


def list_requests(client: AdminClient, *, state: str | None = OPEN_STATE) -> list[ProofRequest]:
    params = {"role": "prover", **({"state": state} if state else {})}
    records = client.get(RECORDS, params=params).get("results", [])
    requests = []
    for record in records:
        try:
            requests.append(ProofRequest.from_record(record))
        except InvalidInputError:
            continue  # one verifier's malformed request must not hide the others
    return sorted(requests, key=lambda r: r.created_at or "")


def get_request(client: AdminClient, request_id: str) -> ProofRequest:
    try:
        return ProofRequest.from_record(client.get(f"{RECORDS}/{request_id}"))
    except NotFoundError:
        raise NotFoundError(f"no proof request {request_id}") from None


def parse_use(pairs: list[str]) -> dict[str, str]:
    """`["income=abc-123"]` -> `{"income": "abc-123"}` for `--use REFERENT=CREDENTIAL_ID`."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        referent, sep, cred_id = pair.partition("=")
        if not sep or not referent.strip() or not cred_id.strip():
            raise UsageError(f"--use takes REFERENT=CREDENTIAL_ID, not {pair!r}")
        chosen[referent.strip()] = cred_id.strip()
    return chosen


def plan_presentation(client: AdminClient, request_id: str,
                      use: Mapping[str, str] | None = None) -> Plan:
    """Work out, without sending anything, how the request would be answered."""
    request = get_request(client, request_id)
    if request.state != OPEN_STATE:
        raise UsageError(f"proof request {request_id} is {request.state}, not open")
    use = dict(use or {})
    check_use(request, use)
    connection = None
    if request.connection_id:
        try:
            connection = get_connection(client, request.connection_id)
        except NotFoundError:
            connection = None
    facts = PlanFacts(request, connection, use=use)
    for referent, cred_id in use.items():
        try:
            facts.chosen[referent] = Credential.from_record(client.get(f"/credential/{cred_id}"))
        except NotFoundError:
            facts.chosen[referent] = None
    _fetch_pages(client, facts, all_referents(request))
    while True:
        try:
            plan = decide_plan(facts)
            break
        except NeedFacts as need:
            _fetch_pages(client, facts, need.more)
            for check in need.revocation:
                at = revocation_time(check.interval, time.time())
                facts.revoked[check.credential.id] = is_revoked(client, check.credential.id,
                                                                at=at)
    return Plan(plan.request, plan.connection, plan.choices,
                tuple(_over_asking(client, request, connection)))


def _fetch_pages(client: AdminClient, facts: PlanFacts, referents) -> None:
    """The next page of candidates (newest first) of each referent, from the wallet's
    agent plugin, which queries the wallet with the item's restrictions."""
    wanted = {ref: {"start": len(facts.candidates.get(ref, [])), "count": PAGE}
              for ref in referents}
    if not wanted:
        return
    found = client.post(CANDIDATES, json={"pres_ex_id": facts.request.id,
                                          "referents": wanted})
    pages = found.get("results") if isinstance(found, dict) else None
    if not isinstance(pages, dict):
        raise InvalidInputError("the agent returned an unexpected candidate list")
    for ref in wanted:
        page = pages.get(ref) or {}
        creds = [Credential.from_record(info, info.get("received_at"))
                 for info in page.get("results") or [] if "referent" in info]
        facts.add_page(ref, creds, int(page.get("total") or 0))


def present(client: AdminClient, plan: Plan, *, timeout: float = 60.0) -> dict[str, Any]:
    """Send the presentation the plan describes; returns once it has left the wallet."""
    spec = plan.presentation_spec()
    # ACA-Py answers send-presentation once the presentation is built and handed to the
    # transport, normally already `presentation-sent`: then no event stream is needed.
    # Otherwise wait on events; reading the record after subscribing closes the race.
    record = client.post(f"{RECORDS}/{plan.request.id}/send-presentation", json=spec) or {}
    if record.get("state") in ("presentation-sent", "done"):
        return record

    def trigger() -> str:
        return plan.request.id

    return wait_for_state(
        client,
        topic="present_proof_v2_0",
        id_field="pres_ex_id",
        trigger=trigger,
        fetch=lambda rid: client.get(f"{RECORDS}/{rid}"),
        done=("presentation-sent", "done"),
        failed=("abandoned",),
        timeout=timeout,
        what="presentation",
    )


def decline(client: AdminClient, request_id: str, *, reason: str | None = None,
            consent_id: str | None = None) -> None:
    """Refuse the request: the verifier gets a problem report, the history a note."""
    request = get_request(client, request_id)
    if request.state != OPEN_STATE:
        raise UsageError(f"proof request {request_id} is {request.state}, not open")
    client.post(f"{RECORDS}/{request_id}/problem-report",
                json={"description": reason or "The holder declined to present."})
    from ssi_wallet.holder.history import record_event

    record_event(client, "declined", connection_id=request.connection_id,
                 pres_ex_id=request_id, request_name=request.name, reason=reason,
                 consent_id=consent_id)


# --- internals ----------------------------------------------------------------------------


def _over_asking(client: AdminClient, request: ProofRequest,
                 connection: Connection | None) -> list[str]:
    """Flags for a request that asks more than the agency's published schemes need."""
    if connection is None:
        return []
    from ssi_wallet.holder.schemes import over_asking, schemes_for_connection

    return over_asking(request, schemes_for_connection(client, connection))


def describe_value(name: str, raw: str) -> str:
    """A revealed value as the citizen reads it in the preview."""
    return display(name, raw)
