"""Actions a decision triggers: issue a credential (to the same connection), send a
DIDComm basic message, call a webhook URL. Recording payments, awards and brakes is the
workflows' job, inside the decision's transaction (see `workflows/`).

Actions leave the agency, so they cannot join the database transaction: the decision
puts them in the outbox (`verifier_actions`) already rendered, and `run_pending` executes
them after the commit, each claimed by one process, retried on failure (and after a
crash, when `verifier serve` starts). Each webhook call carries an `Idempotency-Key`
(pres_ex_id:seq) so a receiver can drop a retried delivery.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.policy import Action, render_template
from ssi_wallet.encoding import encode_human
from ssi_wallet.errors import InvalidInputError, NotFoundError, SsiWalletError

if TYPE_CHECKING:
    from ssi_wallet.agency.cases import CaseStore
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agent.admin import AdminClient

log = logging.getLogger("ssi_wallet.verifier")
MAX_ATTEMPTS = 5


def render(action: Action, values: dict[str, Any], agency: AgencyConfig) -> dict[str, Any]:
    """The action's spec with its templates filled in (what the outbox stores)."""
    spec: dict[str, Any] = {}
    for key, value in action.spec.items():
        if isinstance(value, str):
            spec[key] = render_template(value, values)
        elif isinstance(value, dict):
            spec[key] = {k: render_template(v, values) if isinstance(v, str) else v
                         for k, v in value.items()}
        else:
            spec[key] = value
    if action.kind == "webhook":
        url = spec["url"]
        if url.startswith("setting:"):
            spec["url"] = agency.settings.get(url[len("setting:"):]) or None
        spec["body"] = {"agency": agency.name, **{k: v for k, v in values.items()
                                                   if not k.startswith("_")}}
    return spec


def run_pending(store: CaseStore, client: AdminClient, agency: AgencyConfig,
                pres_ex_id: str | None = None) -> list[dict[str, Any]]:
    """Execute pending actions (of one exchange, or all); returns what happened."""
    results = []
    for row in store.claim_actions(pres_ex_id):
        try:
            result = execute(row["kind"], row["spec"], client, agency,
                             connection_id=row["connection_id"],
                             key=f"{row['pres_ex_id']}:{row['seq']}")
        except SsiWalletError as error:
            attempt = row["attempts"] + 1        # claiming counted it in the database
            retry = attempt < MAX_ATTEMPTS
            store.finish_action(row["id"], ok=False, error=str(error)[:300], retry=retry)
            log.warning("action %s of %s failed (attempt %s): %s", row["kind"],
                        row["pres_ex_id"], attempt, error)
            results.append({"kind": row["kind"], "ok": False, "error": str(error)})
            continue
        store.finish_action(row["id"], ok=True, result=result)
        results.append({"kind": row["kind"], "ok": True, "result": result})
    return results


def execute(kind: str, spec: dict[str, Any], client: AdminClient, agency: AgencyConfig, *,
            connection_id: str | None, key: str) -> dict[str, Any]:
    if kind == "message":
        if not connection_id:
            raise InvalidInputError("no connection to send the message over")
        client.post(f"/connections/{connection_id}/send-message",
                    json={"content": spec["text"]})
        return {"sent": True}
    if kind == "webhook":
        return call_webhook(spec.get("url"), spec.get("body") or {}, key)
    if kind == "follow_up":
        from ssi_wallet.agency.verifier import send_followup

        return send_followup(agency, client, spec)
    if kind == "issue":
        if not connection_id:
            raise InvalidInputError("no connection to issue the credential over")
        return issue_credential(client, spec, connection_id)
    raise InvalidInputError(f"unknown action {kind!r}")


def call_webhook(url: str | None, body: dict[str, Any], key: str) -> dict[str, Any]:
    import httpx

    from ssi_wallet.agent.admin import _tls_context
    from ssi_wallet.errors import ServiceError

    if not url:
        return {"skipped": "no URL configured"}
    try:
        response = httpx.post(url, json=body, timeout=10.0, trust_env=False,
                              headers={"Idempotency-Key": key},
                              verify=_tls_context())   # not a new CA load per call
    except httpx.HTTPError as error:
        raise ServiceError(f"webhook {url}: {type(error).__name__}") from error
    if response.status_code >= 400:
        raise ServiceError(f"webhook {url}: HTTP {response.status_code}")
    return {"status": response.status_code}


def find_cred_def(client: AdminClient, type_name: str) -> str:
    """The agency's newest credential definition for schema `type_name`."""
    found = client.get("/credential-definitions/created",
                       params={"schema_name": type_name}) or {}
    ids = found.get("credential_definition_ids") or []
    if not ids:
        raise NotFoundError(f"this agency has no credential definition for {type_name}",
                            hint="publish the schema and create the definition first")
    return sorted(ids, key=lambda i: (int(i.split(":")[3]) if i.split(":")[3].isdigit()
                                      else 0, i))[-1]


def issue_credential(client: AdminClient, spec: dict[str, Any],
                     connection_id: str) -> dict[str, Any]:
    cred_def_id = spec.get("cred_def_id") or find_cred_def(client, spec["type"])
    attributes = [{"name": name, "value": encode_human(name, str(value))}
                  for name, value in spec["attributes"].items()]
    record = client.post("/issue-credential-2.0/send-offer", json={
        "connection_id": connection_id,
        "auto_issue": True,
        "auto_remove": False,
        "comment": spec.get("type") or "credential",
        "credential_preview": {"@type": "issue-credential/2.0/credential-preview",
                               "attributes": attributes},
        "filter": {"indy": {"cred_def_id": cred_def_id}},
    })
    return {"cred_ex_id": (record or {}).get("cred_ex_id"), "cred_def_id": cred_def_id}
