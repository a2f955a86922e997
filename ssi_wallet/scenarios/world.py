"""Everything a scenario runs on: a data home, the embedded ledger, the pilot agencies
(from `examples/agencies/`), and the citizen's wallet; and the moves every scenario
makes (connect, issue and accept, ask and answer).

Agencies keep their credential definitions in the home, so a second run on the same
home (`--home DIR`) skips the seconds of key generation.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ssi_wallet
from ssi_wallet.errors import NotFoundError

EXAMPLES = Path(ssi_wallet.__file__).resolve().parents[1] / "examples"
PASSPHRASE_FILE = "demo-passphrase"


def examples_dir() -> Path:
    if not (EXAMPLES / "agencies").is_dir():
        raise NotFoundError(f"the pilot files are not at {EXAMPLES}",
                            hint="run the scenarios from a checkout of ssi-wallet")
    return EXAMPLES


@dataclass
class World:
    home: Path
    keep: bool = False
    started: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: secrets.token_hex(3).upper())
    prepare_seconds: float = 0.0
    prepared: set[str] = field(default_factory=set)   # scenarios whose parties are coming
    _clients: dict[str, Any] = field(default_factory=dict)
    _coming: dict[str, Future] = field(default_factory=dict)   # party -> its start
    _pool: ThreadPoolExecutor | None = None

    # -- set-up / tear-down -------------------------------------------------------------
    def __enter__(self) -> World:
        from ssi_wallet.files import private_dir, write_secret

        private_dir(self.home)
        os.environ["SSI_WALLET_HOME"] = str(self.home)
        # The demo citizen's wallet is a throwaway: a random passphrase kept 0600 in the
        # home (a real citizen uses the OS keyring or his own passphrase).
        secret = self.home / PASSPHRASE_FILE
        if not secret.exists():
            write_secret(secret, secrets.token_urlsafe(24))
        os.environ.setdefault("SSI_WALLET_PASSPHRASE", secret.read_text().strip())
        return self

    def __exit__(self, *exc: object) -> None:
        self._settle()
        for client in self._clients.values():
            client.close()
        if not self.keep:
            self.shutdown()

    def _settle(self) -> None:
        """Let starts still under way in the background finish (a failed one is reported
        by the scenario that waits for it; here it only must not be left running)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def shutdown(self) -> None:
        from ssi_wallet.agency.runtime import stop_agency
        from ssi_wallet.agent.process import stop
        from ssi_wallet.holder.agent import holder_paths
        from ssi_wallet.ledger.service import LedgerService

        self._settle()   # starts still under way finish first, then everything stops
        # Agents take a second or more each to stop gracefully: stop them all side by
        # side (the citizen's too), and the ledger once nobody uses it.
        with ThreadPoolExecutor(max_workers=len(self.started) + 1) as pool:
            jobs = [pool.submit(stop_agency, name, self.home) for name in self.started]
            jobs.append(pool.submit(stop, holder_paths(self.home).root))
            for job in jobs:
                job.result()
        LedgerService(self.home / "ledger").stop()

    # -- parties --------------------------------------------------------------------------
    def ledger(self) -> None:
        from ssi_wallet.network import resolve_network

        resolve_network(home=self.home)

    def init_agencies(self, *names: str) -> None:
        """Set agencies up from the pilot files the first time (their DID seeds too)."""
        from ssi_wallet.agency.runtime import agency_dir, init_agency

        for name in names:
            if not (agency_dir(name, self.home) / "agency.yaml").exists():
                init_agency(name, examples_dir() / "agencies" / f"{name}.yaml",
                            home=self.home)

    def start_agencies(self, *names: str, types: dict[str, dict[str, bool]] | None = None,
                       wait: bool = True) -> None:
        """Start agencies in parallel (each is an ACA-Py process; verifiers also serve);
        an issuer's credential definitions (`types`) are made as soon as it is up. With
        `wait=False` they come up in the background (`ready` waits for them)."""
        from ssi_wallet.agency.runtime import start_agency

        def bring_up(name: str) -> None:
            start_agency(name, self.home, with_status=False)
            if types and types.get(name):
                self.prepare_types(name, types[name])

        for name in names:
            if name not in self._coming:
                self._coming[name] = self._background().submit(bring_up, name)
            if name not in self.started:
                self.started.append(name)
        if wait:
            self.ready(*names)

    def ready(self, *parties: str) -> None:
        """Wait until these parties (agency names, "citizen") are up; a failed start
        raises here."""
        for party in parties:
            coming = self._coming.get(party)
            if coming is not None:
                coming.result()

    def _background(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="world")
        return self._pool

    def set_stage(self, scenario: Any):
        """A scenario's first step: the ledger, what it needs (ready at once when the
        runner prepared it), and a client of the citizen's wallet."""
        if scenario.NAME not in self.prepared:
            self.ledger()
            self.prepare(scenario)
        self.ready(*scenario.AGENCIES, "citizen")
        return self.citizen(scenario.CITIZEN)

    def prepare(self, *scenarios: Any, first: Any | None = None) -> None:
        """Everything the scenarios need: their agencies set up, told whom to trust, and
        started in parallel with the citizen's agent; each issuer makes its credential
        definitions as soon as it is up (key generation is the slow part; each agency
        does it in its own process). With `first` on a warm home (every definition made
        before), only what that scenario needs is waited for; the other agencies start
        once it is ready and come up while it runs (`set_stage` waits for them). On a cold
        home everything is made first: key generation would only slow the flows down.
        Idempotent."""
        names: list[str] = []
        types: dict[str, dict[str, bool]] = {}
        for scenario in scenarios:
            names += [n for n in scenario.AGENCIES if n not in names]
            for issuer, wanted in scenario.TYPES.items():
                types.setdefault(issuer, {}).update(wanted)
        self.init_agencies(*names)
        settings: dict[str, dict[str, Any]] = {}
        for scenario in scenarios:   # all of them before any agency starts
            for agency, values in scenario.trust(self).items():
                settings.setdefault(agency, {}).update(values)
        for agency, values in settings.items():
            self.set_settings(agency, values)
        if "citizen" not in self._coming:
            self._coming["citizen"] = self._background().submit(
                self.citizen, scenarios[0].CITIZEN)
        if first is not None and not self.definitions_made(types):
            first = None   # cold: key generation first, not competing with the flows
        now = [n for n in names if first is None or n in first.AGENCIES]
        needed = types if first is None else first.TYPES
        self.start_agencies(*now, types=needed)
        self.ready("citizen")
        for name in now:   # definitions only later scenarios need: in the background too
            later = {t: r for t, r in types.get(name, {}).items()
                     if t not in needed.get(name, {})}
            if later:
                self._coming[name] = self._background().submit(self.prepare_types, name,
                                                               later)
        self.start_agencies(*(n for n in names if n not in now), types=types, wait=False)
        self.prepared.update(scenario.NAME for scenario in scenarios)

    def definitions_made(self, types: dict[str, dict[str, bool]]) -> bool:
        """Whether every issuer made these credential definitions on an earlier run (its
        own store says so; nothing is started to find out)."""
        from ssi_wallet.agency.issued_store import open_issued_store

        for issuer, wanted in types.items():
            made = open_issued_store(self.config(issuer)).creddefs()
            for type_name, revocable in wanted.items():
                if not any(f":2:{type_name}:" in row["schema_id"]
                           and bool(row["revocable"]) == revocable for row in made):
                    return False
        return True

    def set_settings(self, name: str, values: dict[str, Any]) -> None:
        """Write agency settings into its agency.yaml (read when the agency starts)."""
        import yaml

        from ssi_wallet.agency.runtime import agency_dir
        from ssi_wallet.files import atomic_write

        path = agency_dir(name, self.home) / "agency.yaml"
        doc = yaml.safe_load(path.read_text())
        current = doc.setdefault("settings", {})
        if all(current.get(k) == v for k, v in values.items()):
            return
        current.update(values)
        atomic_write(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

    def did(self, agency: str) -> str:
        """The agency's public DID (its seed is made on first use, before it starts)."""
        from ssi_wallet.agency.runtime import load_agency, public_identity

        identity = public_identity(load_agency(agency, self.home), create=True)
        assert identity is not None
        return identity.did

    def config(self, agency: str):
        from ssi_wallet.agency.runtime import load_agency

        return load_agency(agency, self.home)

    def agency_client(self, agency: str):
        from ssi_wallet.agency.runtime import agency_client

        if agency not in self._clients:
            self._clients[agency] = agency_client(self.config(agency))
        return self._clients[agency]

    def citizen(self, label: str):
        """The citizen's wallet (created on first use) and a client of its agent."""
        from ssi_wallet.holder.agent import holder_client, holder_paths, init_wallet

        if not holder_paths(self.home).exists:
            init_wallet(label=label, genesis=None, use_keyring=False, home=self.home)
        if "citizen" not in self._clients:
            self._clients["citizen"] = holder_client(self.home)
        return self._clients["citizen"]

    # -- moves ------------------------------------------------------------------------
    def connect_to_issuer(self, issuer: str, citizen) -> tuple[str, str]:
        """The issuer invites, the citizen connects: (citizen's id, issuer's id)."""
        from ssi_wallet.agency.issuance import Issuer
        from ssi_wallet.holder.connections import connect
        from ssi_wallet.holder.invitations import read_invitation

        with Issuer.open(self.config(issuer)) as agency:
            invitation = agency.invite()
            conn = connect(citizen, read_invitation(invitation["invitation_url"]))
            theirs = agency.connections(invitation_msg_id=invitation["invi_msg_id"])
        return conn.id, theirs[0]["connection_id"]

    def issue(self, issuer: str, connection_id: str, type_name: str,
              values: dict[str, Any], citizen) -> str:
        """The issuer offers, the citizen accepts; returns the stored credential's id."""
        from ssi_wallet.agency.issuance import Issuer, resolve_type
        from ssi_wallet.holder.offers import accept_offer

        with citizen.events() as events, Issuer.open(self.config(issuer)) as agency:
            ctype = resolve_type(agency.config, type_name)
            sent = agency.issue(connection_id, ctype, values, wait=False)
            offer = self.next_offer(citizen, events,
                                    lambda o: o.cred_def_id == sent["cred_def_id"])
        return accept_offer(citizen, offer.id) or ""

    @staticmethod
    def next_offer(citizen, events, wanted, *, timeout: float = 30):
        """The newest offer in the wallet that is `wanted`, waiting on the citizen's event
        stream (opened before the offer can arrive) until one is there."""
        import time

        from ssi_wallet.holder.offers import list_offers

        deadline = time.monotonic() + timeout
        while True:
            offers = [o for o in list_offers(citizen) if wanted(o)]
            if offers:
                return offers[-1]
            events.wait("issue_credential_v2_0",
                        lambda p: p.get("state") == "offer-received",
                        timeout=max(deadline - time.monotonic(), 0.1))

    def prepare_types(self, issuer: str, types: dict[str, bool]) -> None:
        """Schemas and credential definitions ({type: revocable}), reused when they exist."""
        from ssi_wallet.agency.issuance import Issuer, resolve_type

        with Issuer.open(self.config(issuer)) as agency:
            for type_name, revocable in types.items():
                ctype = resolve_type(agency.config, type_name)
                agency.publish_schema(ctype)
                agency.create_creddef(ctype, revocable=revocable, registry_size=20)

    def case_invitation(self, verifier: str, case_ref: str, policy_file: str) -> dict[str, Any]:
        from ssi_wallet.agency.verifier import create_invitation, policy_for

        config = self.config(verifier)
        policy = policy_for(config, examples_dir() / "policies" / policy_file)
        return create_invitation(config, self.agency_client(verifier), case_ref, policy=policy)

    def scheme_invitation(self, verifier: str, case_prefix: str,
                          policy_file: str) -> dict[str, Any]:
        """The agency's multi-use invitation for a scheme: one case per connection."""
        from ssi_wallet.agency.verifier import create_scheme_invitation, policy_for

        config = self.config(verifier)
        policy = policy_for(config, examples_dir() / "policies" / policy_file)
        return create_scheme_invitation(config, self.agency_client(verifier), case_prefix,
                                        policy=policy)

    def case_of_request(self, verifier: str, citizen, request_id: str) -> str:
        """The agency's case of a proof request the citizen received (by its thread)."""
        from ssi_wallet.agency.verifier import RECORDS, store_for

        thread = citizen.get(f"{RECORDS}/{request_id}")["thread_id"]
        found = self.agency_client(verifier).get(RECORDS, params={"thread_id": thread})
        for record in found.get("results", []):
            exchange = store_for(self.config(verifier)).get_exchange(record["pres_ex_id"])
            if exchange is not None:
                return exchange.case_ref
        raise NotFoundError(f"{verifier} has no case for that request")

    def agency_connection(self, agency: str, invi_msg_id: str, *, timeout: float = 30) -> str:
        """The agency's side of the connection made from its invitation, once complete."""
        import time

        client = self.agency_client(agency)
        deadline = time.monotonic() + timeout
        with client.events() as events:
            while True:
                found = client.get("/connections", params={"invitation_msg_id": invi_msg_id})
                done = [c for c in found.get("results", [])
                        if c.get("state") in ("active", "completed")]
                if done:
                    return done[0]["connection_id"]
                try:
                    events.wait("connections",
                                lambda p: p.get("invitation_msg_id") == invi_msg_id,
                                timeout=max(deadline - time.monotonic(), 0.1))
                except Exception:
                    if time.monotonic() > deadline:
                        raise

    def connect(self, citizen, invitation_url: str):
        from ssi_wallet.holder.connections import connect
        from ssi_wallet.holder.invitations import read_invitation

        return connect(citizen, read_invitation(invitation_url))

    def next_request(self, citizen, connection_id: str, events, *, timeout: float = 60):
        """The next open proof request on `connection_id` (waits for it)."""
        import time

        from ssi_wallet.holder.proofs import list_requests

        deadline = time.monotonic() + timeout
        while True:
            open_ = [r for r in list_requests(citizen) if r.connection_id == connection_id]
            if open_:
                return open_[0]
            events.wait("present_proof_v2_0",
                        lambda p: p.get("connection_id") == connection_id
                        and p.get("state") == "request-received",
                        timeout=max(deadline - time.monotonic(), 0.1))

    def answer(self, citizen, connection_id: str, events):
        """The citizen previews the next request on the connection and presents."""
        from ssi_wallet.holder.proofs import plan_presentation, present

        request = self.next_request(citizen, connection_id, events)
        plan = plan_presentation(citizen, request.id)
        present(citizen, plan)
        return plan

    def case(self, verifier: str, case_ref: str) -> dict[str, Any]:
        from ssi_wallet.agency.verifier import store_for

        return store_for(self.config(verifier)).case_summary(case_ref)

    def disclosures(self, verifier: str, case_ref: str) -> dict[str, Any]:
        """What the agency learned in this case, read from its own audit records."""
        revealed: dict[str, list[str]] = {}
        predicates: list[str] = []
        for audit in self.case(verifier, case_ref)["audit"]:
            learned = audit.get("learned") or {}
            for name, value in (learned.get("revealed") or {}).items():
                revealed.setdefault(name, [])
                if value not in revealed[name]:
                    revealed[name].append(value)
            for pred in learned.get("predicates") or []:
                text = pred.get("words") or \
                    f"{pred.get('attribute')} {pred.get('p_type')} {pred.get('p_value')}"
                if text not in predicates:
                    predicates.append(text)
        return {"agency": verifier, "case": case_ref, "revealed": revealed,
                "predicates": predicates}

    def revoke(self, issuer: str, connection_id: str, type_name: str) -> dict[str, Any]:
        """Revoke (and publish) what `issuer` issued of `type_name` over the connection."""
        from ssi_wallet.agency.issuance import Issuer

        with Issuer.open(self.config(issuer)) as agency:
            rows = [r for r in agency.credentials() if r.connection_id == connection_id
                    and r.type_name == type_name and r.revocation is None and r.cred_ex_id]
            if not rows:
                raise NotFoundError(f"{issuer} issued no revocable {type_name} there")
            return agency.revoke(rows[-1].cred_ex_id, publish=True)

    def exchanges(self, verifier: str, case_ref: str) -> list[Any]:
        from ssi_wallet.agency.verifier import store_for

        return store_for(self.config(verifier)).exchanges_of(case_ref)

    @staticmethod
    def wait_until(probe, *, timeout: float, interval: float = 0.2):
        """For what happens in the background of another process (the wallet's notice,
        the agency's follow-up offer): a bounded wait, checked a few times a second."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise NotFoundError(f"nothing arrived within {timeout:g} s")
            time.sleep(interval)
