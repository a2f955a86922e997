"""Issuer services: schemas, credential definitions, invitations, issuing, revoking.

Everything goes through the agency's running ACA-Py agent (admin API) and is remembered
in the agency's store (`issued_store`), so schemas and credential definitions are made
once and reused across runs, and every credential can be found again to revoke it.

    issuer = Issuer.open(config)                      # agency must be running
    issuer.publish_schema(ctype)                      -> {schema_id, reused, ...}
    issuer.create_creddef(ctype, revocable=True, registry_size=100, tag=None)
    issuer.invite(label=None)                         -> {invitation_url, invi_msg_id}
    issuer.issue(connection_id, ctype, values, wait=True, timeout=300)
    issuer.revoke(cred_ex_id, publish=False)
    issuer.publish_revocations()
    issuer.credentials(refresh=True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.connections import post_over
from ssi_wallet.agency.credential_types import CredentialType
from ssi_wallet.agency.issued_store import (
    FAILED_STATES,
    ISSUED_STATES,
    IssuedRow,
    IssuedStore,
)
from ssi_wallet.errors import NotFoundError, ServiceError, UsageError

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agent.admin import AdminClient

TOPIC = "issue_credential_v2_0"
DEFAULT_TAG = "default"
REVOCABLE_TAG = "revocable"
ACK_GRACE = 10.0  # s to wait for the holder's ack after credential-issued
POLL_INTERVAL = 1.0  # s between re-reads of the exchange record while waiting
HANDSHAKES = ["https://didcomm.org/didexchange/1.0", "https://didcomm.org/connections/1.0"]


class IssuanceTimeout(ServiceError):
    code = "timeout"


@dataclass
class Issuer:
    config: AgencyConfig
    client: AdminClient
    store: IssuedStore

    @classmethod
    def open(cls, config: AgencyConfig, *, instance: int = 0, timeout: float = 60) -> Issuer:
        from ssi_wallet.agency.issued_store import open_issued_store
        from ssi_wallet.agency.runtime import agency_client

        if not config.has_role("issuer"):
            raise UsageError(f"agency {config.name} is not an issuer")
        return cls(
            config, agency_client(config, instance, timeout=timeout), open_issued_store(config)
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Issuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ schemas

    def publish_schema(self, ctype: CredentialType) -> dict[str, Any]:
        """Publish the type's schema, or reuse the one this agency published before."""
        known = self.store.schema(ctype.name, ctype.version)
        if known:
            return {
                "schema_id": known["schema_id"],
                "name": ctype.name,
                "version": ctype.version,
                "reused": True,
            }
        created = (
            self.client.get(
                "/schemas/created",
                params={"schema_name": ctype.name, "schema_version": ctype.version},
            )
            or {}
        )
        ids = created.get("schema_ids") or []
        reused = bool(ids)
        if ids:
            schema_id = ids[0]
            schema = (self.client.get(f"/schemas/{schema_id}") or {}).get("schema") or {}
            if sorted(schema.get("attrNames") or []) != sorted(ctype.attribute_names):
                raise UsageError(
                    f"schema {ctype.name} {ctype.version} was published with other attributes "
                    f"({', '.join(sorted(schema.get('attrNames') or []))})",
                    hint="give the changed type a new version",
                )
        else:
            result = (
                self.client.post(
                    "/schemas",
                    json={
                        "schema_name": ctype.name,
                        "schema_version": ctype.version,
                        "attributes": ctype.attribute_names,
                    },
                    timeout=120,
                )
                or {}
            )
            schema_id = result.get("schema_id") or (result.get("sent") or {}).get("schema_id")
            if not schema_id:
                raise ServiceError(
                    f"agency {self.config.name}: the agent published no schema id for {ctype.name}"
                )
        self.store.put_schema(ctype.name, ctype.version, schema_id, ctype.attribute_names)
        return {
            "schema_id": schema_id,
            "name": ctype.name,
            "version": ctype.version,
            "reused": reused,
        }

    # ------------------------------------------------------------------ credential definitions

    def create_creddef(
        self,
        ctype: CredentialType,
        *,
        revocable: bool = False,
        registry_size: int = 100,
        tag: str | None = None,
        timeout: float = 180,
    ) -> dict[str, Any]:
        """The credential definition for the type's schema, tag and revocability: the
        existing one when this agency made it before, else a new one (CL key generation
        takes seconds; a revocable one also waits for its active registry)."""
        if revocable and not 4 <= registry_size <= 32768:
            raise UsageError("--registry-size must be between 4 and 32768")
        tag = tag or (REVOCABLE_TAG if revocable else DEFAULT_TAG)
        schema = self.publish_schema(ctype)
        schema_id = schema["schema_id"]
        started = time.monotonic()
        known = self.store.creddef(schema_id, tag, revocable)
        cred_def_id = known["cred_def_id"] if known else self._created_creddef(schema_id, tag)
        reused = cred_def_id is not None
        if cred_def_id is None:
            body: dict[str, Any] = {
                "schema_id": schema_id,
                "tag": tag,
                "support_revocation": revocable,
            }
            if revocable:
                body["revocation_registry_size"] = registry_size
            result = self.client.post("/credential-definitions", json=body, timeout=timeout) or {}
            cred_def_id = result.get("credential_definition_id") or (result.get("sent") or {}).get(
                "credential_definition_id"
            )
            if not cred_def_id:
                raise ServiceError(
                    f"agency {self.config.name}: no credential definition id came back"
                )
        if revocable:
            self._wait_active_registry(cred_def_id, timeout)
        if not known:
            self.store.put_creddef(
                schema_id,
                tag,
                revocable,
                cred_def_id,
                registry_size if revocable else None,
                ctype.name,
            )
        return {
            "cred_def_id": cred_def_id,
            "schema_id": schema_id,
            "tag": tag,
            "revocable": revocable,
            "registry_size": registry_size if revocable else None,
            "reused": reused,
            "seconds": round(time.monotonic() - started, 2),
        }

    def _created_creddef(self, schema_id: str, tag: str) -> str | None:
        """A definition the agent made before for this schema and tag (store lost)."""
        found = (
            self.client.get("/credential-definitions/created", params={"schema_id": schema_id})
            or {}
        )
        for cred_def_id in found.get("credential_definition_ids") or []:
            if cred_def_id.split(":")[-1] == tag:
                return cred_def_id
        return None

    def _wait_active_registry(self, cred_def_id: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.client.get(f"/revocation/active-registry/{cred_def_id}") or {}
                if (result.get("result") or {}).get("state") == "active":
                    return
            except NotFoundError:
                pass
            if time.monotonic() > deadline:
                raise IssuanceTimeout(
                    f"the revocation registry of {cred_def_id} did not "
                    f"become active within {timeout:g} s"
                )
            time.sleep(0.3)

    def creddef_for(self, ctype: CredentialType, cred_def_id: str | None = None) -> str:
        """The credential definition to issue `ctype` from."""
        if cred_def_id:
            return cred_def_id
        schema = self.store.schema(ctype.name, ctype.version)
        defs = self.store.creddefs(schema["schema_id"]) if schema else []
        if not defs:
            raise NotFoundError(
                f"agency {self.config.name} has no credential definition for {ctype.name} "
                f"{ctype.version}",
                hint=f"create one: ssi-wallet issuer creddef create {ctype.name} "
                f"--agency {self.config.name} [--revocable]",
            )
        if len(defs) > 1:
            listed = ", ".join(
                f"{d['cred_def_id']} ({'revocable' if d['revocable'] else 'not revocable'})"
                for d in defs
            )
            raise UsageError(
                f"{ctype.name} has several credential definitions: {listed}",
                hint="choose one with --cred-def ID",
            )
        return defs[0]["cred_def_id"]

    # ------------------------------------------------------------------ invitations

    def invite(
        self, *, label: str | None = None, multi_use: bool = False, alias: str | None = None
    ) -> dict[str, Any]:
        """An out-of-band invitation; the connection completes by itself (auto-accept)."""
        params: dict[str, Any] = {"auto_accept": True}
        if multi_use:
            params["multi_use"] = True
        body: dict[str, Any] = {
            "handshake_protocols": HANDSHAKES,
            "use_public_did": False,
            "my_label": label or self.config.label,
        }
        if alias:
            body["alias"] = alias
        result = self.client.post("/out-of-band/create-invitation", params=params, json=body) or {}
        return {
            "invitation_url": result["invitation_url"],
            "invi_msg_id": result.get("invi_msg_id"),
            "label": body["my_label"],
            "multi_use": multi_use,
        }

    def connections(self, *, invitation_msg_id: str | None = None) -> list[dict[str, Any]]:
        """The agency's connections (newest first), optionally those of one invitation."""
        params = {"invitation_msg_id": invitation_msg_id} if invitation_msg_id else None
        results = (self.client.get("/connections", params=params) or {}).get("results") or []
        keys = (
            "connection_id",
            "state",
            "their_label",
            "their_did",
            "invitation_msg_id",
            "alias",
            "created_at",
            "updated_at",
        )
        found = [{k: r.get(k) for k in keys} for r in results]
        return sorted(found, key=lambda c: c.get("created_at") or "", reverse=True)

    # ------------------------------------------------------------------ issuing

    def offer(
        self,
        connection_id: str,
        ctype: CredentialType,
        raw_values: dict[str, str],
        cred_def_id: str,
        *,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Send an offer with already-encoded values; the agent issues on request."""
        body: dict[str, Any] = {
            "connection_id": connection_id,
            "auto_issue": True,
            "auto_remove": False,
            "credential_preview": {
                "@type": "issue-credential/2.0/credential-preview",
                "attributes": [{"name": k, "value": v} for k, v in raw_values.items()],
            },
            "filter": {"indy": {"cred_def_id": cred_def_id}},
        }
        if comment:
            body["comment"] = comment
        return post_over(self.client, self.config.name, connection_id,
                         "/issue-credential-2.0/send-offer", body) or {}

    def issue(
        self,
        connection_id: str,
        ctype: CredentialType,
        values: dict[str, Any],
        *,
        cred_def_id: str | None = None,
        wait: bool = True,
        timeout: float = 300,
    ) -> dict[str, Any]:
        """Check `values` against the type, offer the credential, and (with `wait`) wait
        until the holder has it (issuer state credential-issued or done)."""
        raw = ctype.encode(values)
        cred_def_id = self.creddef_for(ctype, cred_def_id)
        started = time.monotonic()
        if not wait:
            record = self.offer(connection_id, ctype, raw, cred_def_id)
            row = self.store.add(
                cred_ex_id=record["cred_ex_id"],
                connection_id=connection_id,
                type_name=ctype.name,
                cred_def_id=cred_def_id,
                state=record.get("state") or "offer-sent",
            )
            return self._result(row, started)
        with self.client.events() as events:
            record = self.offer(connection_id, ctype, raw, cred_def_id)
            cred_ex_id = record["cred_ex_id"]
            self.store.add(
                cred_ex_id=cred_ex_id,
                connection_id=connection_id,
                type_name=ctype.name,
                cred_def_id=cred_def_id,
                state=record.get("state") or "offer-sent",
            )
            state = self._wait_state(events, cred_ex_id, timeout)
        row = self.refresh(cred_ex_id) or self.store.get(cred_ex_id)
        assert row is not None
        if state in FAILED_STATES:
            raise ServiceError(f"the holder did not take credential {cred_ex_id} (state {state})")
        return self._result(row, started)

    def _wait_state(self, events, cred_ex_id: str, timeout: float) -> str:
        """Wait for `done` (the holder stored the credential and acknowledged); a holder
        that never acknowledges leaves `credential-issued`, accepted after a grace.

        Events come from the instance we talk to; another instance of a scaled-out
        agency may handle the holder's messages, so the shared record is re-read too."""
        from ssi_wallet.agent.events import EventTimeout

        final = ("done", "credential-revoked", *FAILED_STATES)
        deadline = time.monotonic() + timeout
        issued_at: float | None = None
        state = self._record_state(cred_ex_id)
        while state not in final:
            now = time.monotonic()
            if state in ISSUED_STATES:
                issued_at = issued_at or now
                if now - issued_at >= ACK_GRACE:
                    return state
            if now >= deadline:
                self.store.update_state(cred_ex_id, state or "offer-sent")
                raise IssuanceTimeout(
                    f"credential {cred_ex_id}: the holder did not accept within {timeout:g} s "
                    f"(state {state}); the offer stands",
                    hint="see later: ssi-wallet issuer credentials list",
                )
            try:
                payload = events.wait(
                    TOPIC,
                    lambda p: (
                        p.get("cred_ex_id") == cred_ex_id
                        and p.get("state") in (*ISSUED_STATES, *FAILED_STATES)
                    ),
                    timeout=max(min(deadline - now, POLL_INTERVAL), 0.01),
                )
                state = payload["state"]
            except EventTimeout:
                state = self._record_state(cred_ex_id)
        return state

    def _record_state(self, cred_ex_id: str) -> str | None:
        try:
            record = self.client.get(f"/issue-credential-2.0/records/{cred_ex_id}") or {}
        except NotFoundError:
            return "deleted"
        return (record.get("cred_ex_record") or {}).get("state")

    def refresh(self, cred_ex_id: str) -> IssuedRow | None:
        """Bring the stored state of one credential up to date from the agent."""
        try:
            record = self.client.get(f"/issue-credential-2.0/records/{cred_ex_id}") or {}
        except NotFoundError:
            row = self.store.get(cred_ex_id)
            if row and row.state not in ISSUED_STATES:
                self.store.update_state(cred_ex_id, "deleted")
            return self.store.get(cred_ex_id)
        state = (record.get("cred_ex_record") or {}).get("state") or "unknown"
        indy = record.get("indy") or {}
        self.store.update_state(
            cred_ex_id,
            state,
            rev_reg_id=indy.get("rev_reg_id"),
            cred_rev_id=indy.get("cred_rev_id"),
        )
        row = self.store.get(cred_ex_id)
        if row and state == "credential-revoked" and row.revocation != "revoked":
            self.store.set_revocation(cred_ex_id, "revoked")
            row = self.store.get(cred_ex_id)
        return row

    def _result(self, row: IssuedRow, started: float) -> dict[str, Any]:
        return {
            "cred_ex_id": row.cred_ex_id,
            "connection_id": row.connection_id,
            "type": row.type_name,
            "cred_def_id": row.cred_def_id,
            "state": row.state,
            "issued": row.issued,
            "rev_reg_id": row.rev_reg_id,
            "cred_rev_id": row.cred_rev_id,
            "seconds": round(time.monotonic() - started, 2),
        }

    # ------------------------------------------------------------------ revocation

    def revoke(self, cred_ex_id: str, *, publish: bool = False) -> dict[str, Any]:
        row = self.refresh(cred_ex_id) if self.store.get(cred_ex_id) else None
        if row is None:
            raise NotFoundError(f"agency {self.config.name} issued no credential {cred_ex_id}")
        if not row.issued:
            raise UsageError(f"credential {cred_ex_id} was not issued (state {row.state})")
        if not row.rev_reg_id:
            raise UsageError(
                f"credential {cred_ex_id} is not revocable (its definition "
                f"{row.cred_def_id} has no revocation registry)"
            )
        if row.revocation == "revoked" or (row.revocation == "pending" and not publish):
            return {"cred_ex_id": cred_ex_id, "revocation": row.revocation, "changed": False}
        if row.revocation == "pending" and publish:
            self.publish_revocations()
            return {"cred_ex_id": cred_ex_id, "revocation": "revoked", "changed": True}
        # The holder is told (revocation notification) when it is published now; a
        # pending revocation is published later in bulk, without notifications.
        body: dict[str, Any] = {
            "cred_ex_id": cred_ex_id,
            "publish": publish,
            "notify": publish,
            "connection_id": row.connection_id,
        }
        if publish:
            body["notify_version"] = "v1_0"
        self.client.post("/revocation/revoke", json=body, timeout=120)
        state = "revoked" if publish else "pending"
        self.store.set_revocation(cred_ex_id, state)
        return {
            "cred_ex_id": cred_ex_id,
            "revocation": state,
            "changed": True,
            "rev_reg_id": row.rev_reg_id,
            "cred_rev_id": row.cred_rev_id,
        }

    def publish_revocations(self) -> dict[str, Any]:
        """Publish every pending revocation of this agency to the ledger."""
        self.client.post("/revocation/publish-revocations", json={}, timeout=120)
        published = self.store.publish_pending()
        return {"published": published}

    # ------------------------------------------------------------------ listing

    def credentials(self, *, refresh: bool = True, state: str | None = None) -> list[IssuedRow]:
        rows = self.store.list()
        if refresh:
            for row in rows:
                if row.cred_ex_id and row.state not in (
                    "failed",
                    "deleted",
                    "abandoned",
                    "credential-revoked",
                ):
                    if row.state == "done" and not row.rev_reg_id:
                        continue  # final, and nothing about it can change
                    self.refresh(row.cred_ex_id)
            rows = self.store.list()
        if state:
            rows = [r for r in rows if r.state == state]
        return rows


def parse_attrs(pairs: list[str]) -> dict[str, str]:
    """`["net_income=1500.00 EUR", ...]` -> a dict; a repeated key is an error."""
    values: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--attr {pair!r}: write NAME=VALUE")
        key, value = pair.split("=", 1)
        key = key.strip()
        if key in values:
            raise UsageError(f"--attr {key} given twice")
        values[key] = value
    return values


def resolve_type(config: AgencyConfig, ref: str) -> CredentialType:
    from ssi_wallet.agency.credential_types import find_credential_type

    return find_credential_type(config, ref)


def default_report_path(config: AgencyConfig, csv_path: Path) -> Path:
    import datetime as dt

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return config.root / "reports" / f"{csv_path.stem}-{stamp}.json"
