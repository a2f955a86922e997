"""Ours: the same iteration through the product.

An agency (employer, `issuer` role) issues an IncomeStatement to a citizen wallet (our
holder agent, `holder_spec`): the offer is sent with `Issuer.issue(..., wait=False)` (what
`ssi-wallet issuer issue --no-wait` does), the citizen's side sees the offer arrive and
accepts it with `holder.offers.accept_offer` (what `ssi-wallet offers accept` does: the
product's holder never accepts offers by itself); issuance time is offer sent -> the
credential stored. Then the municipality (`verifier` role, `verifier serve` running on
its webhooks) sends its policy's proof request with `verifier.send_request`; the wallet
answers under the standing consent the citizen granted after answering the first such
request himself (the in-agent plugin); `serve` decides the exchange, records decision and
audit, and runs the policy's action: a webhook to this benchmark, which ends the round
trip (request sent -> verified -> workflow recorded). No polling anywhere.

The policy is the income check with ONE predicate (`net_income < social_minimum`,
trusted issuer: the employer's credential definition) like the stock baseline and the
floor; the pilot's income-supplement policy asks three predicates and then a second
request, which would not compare.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from bench.events import EventHub, on

#: An exchange not finished after this many seconds counts as an error (a stalled
#: exchange would otherwise hold its worker, and the level, for minutes).
EXCHANGE_TIMEOUT = 45

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PASSPHRASE = "bench " + secrets.token_hex(8)
POLICIES = {False: "income-check", True: "income-check-rev"}


def _policy_doc(name: str, setting: str, revocable: bool) -> dict[str, Any]:
    outcomes = {
        o: [{"webhook": "setting:bench_webhook"}] for o in ("verified", "not_verified", "declined")
    }
    return {
        "name": name,
        "description": {"en": "Benchmark: income below the social minimum"},
        "credential": "IncomeStatement",
        "reveal": [],
        "prove": ["net_income < social_minimum"],
        "trusted_issuers": [{"from_setting": setting}],
        "non_revoked": revocable,
        "workflow": "none",
        "actions": outcomes,
    }


class DecisionSink:
    """Receives the policy's webhook action: one POST per decided exchange (`arrivals`
    counts them, so a soak can see a workflow that fired twice)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrivals: Counter[str] = Counter()
        self._seen: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, Future] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                try:
                    doc = json.loads(body)
                except ValueError:
                    return
                sink._arrived(doc)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/decided"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _arrived(self, doc: dict[str, Any]) -> None:
        key = doc.get("pres_ex_id")
        with self._lock:
            self.arrivals[key] += 1
            fut = self._waiting.pop(key, None)
            if fut is None:
                self._seen[key] = doc
        if fut is not None:
            fut.set_result(doc)

    def expect(self, pres_ex_id: str) -> Future:
        fut: Future = Future()
        with self._lock:
            if pres_ex_id in self._seen:
                fut.set_result(self._seen.pop(pres_ex_id))
            else:
                self._waiting[pres_ex_id] = fut
        return fut

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def income_values(index: int) -> dict[str, str]:
    today = dt.date.today()
    return {
        "month": (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        "net_income_cents": "1234.00 EUR",
        "gross_income_cents": "2000.00 EUR",
        "employer_name": "RideCo",
        "employee_ref": f"B-{index}",
        "issue_date": (today - dt.timedelta(days=2)).isoformat(),
        "valid_until": (today + dt.timedelta(days=365)).isoformat(),
    }


def _issuer_class():
    """The product's Issuer, remembering the record its `offer` got back (its thread id
    finds the holder's side of the exchange; ACA-Py's events carry no preview)."""
    from ssi_wallet.agency.issuance import Issuer

    class RecordingIssuer(Issuer):
        last_offer: dict[str, Any] | None = None

        def offer(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            self.last_offer = super().offer(*args, **kwargs)
            return self.last_offer

    return RecordingIssuer


@dataclass
class Issued:
    """One issuance: offer sent -> credential stored (the soak checks it by its ref)."""

    seconds: float
    employee_ref: str
    cred_id: str


@dataclass
class Proved:
    """One proof round trip: request sent -> decided and its action delivered."""

    seconds: float
    pres_ex_id: str
    decided: dict[str, Any]


#: Accepts an offer (by the holder's cred_ex_id) and returns the stored credential's id.
Accept = Callable[[str], str | None]
#: Answers a proof request (by the holder's pres_ex_id) by hand.
Answer = Callable[[str], None]


class OursSetup:
    """Employer and municipality agencies, `verifier serve`, one citizen wallet."""

    def __init__(self, home: Path, ledger, *, registry_size: int, log=print) -> None:
        self.home, self.ledger, self.log = home, ledger, log
        self.registry_size = registry_size
        self.cred_defs: dict[bool, str] = {}
        self.counter = iter(range(10**9))
        self.lock = threading.Lock()

    # ---------------------------------------------------------------- setup

    def __enter__(self) -> OursSetup:
        os.environ["SSI_WALLET_HOME"] = str(self.home)
        os.environ["SSI_WALLET_PASSPHRASE"] = PASSPHRASE
        self.home.mkdir(parents=True, exist_ok=True)
        self.sink = DecisionSink()
        try:
            self._setup()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _setup(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from ssi_wallet.agency import runtime, serve
        from ssi_wallet.agency.issuance import Issuer, resolve_type
        from ssi_wallet.config import load_config, save_config, set_setting
        from ssi_wallet.holder.agent import init_wallet

        info = self.ledger.info()
        config = load_config(self.home)
        set_setting(config, "ledger.genesis", info.genesis_path)
        set_setting(config, "ledger.tails_server_url", info.tails_server_url)
        save_config(config, self.home)
        files = self.home / "bench-files"
        files.mkdir(exist_ok=True)
        for revocable, name in POLICIES.items():
            setting = "trusted_rev" if revocable else "trusted_plain"
            (files / f"{name}.yaml").write_text(
                yaml.safe_dump(_policy_doc(name, setting, revocable), sort_keys=False)
            )
        # A policy nobody consented to (the 10k-wallet measurement answers it by hand).
        (files / "income-check-manual.yaml").write_text(
            yaml.safe_dump(
                _policy_doc("income-check-manual", "trusted_plain", False), sort_keys=False
            )
        )
        agencies = {
            "employer": {
                "name": "employer",
                "label": "RideCo Payroll",
                "roles": ["issuer"],
                "credential_types": [str(EXAMPLES / "credentials" / "income-statement.yaml")],
            },
            "municipality": {
                "name": "municipality",
                "label": "Municipality of Eindhoven",
                "roles": ["verifier"],
                "policies": [
                    str(files / f"{n}.yaml") for n in (*POLICIES.values(), "income-check-manual")
                ],
                "figures": {"social_minimum": [{"from": "2000-01-01", "value": "1500.00 EUR"}]},
            },
        }
        for name, doc in agencies.items():
            (files / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
            runtime.init_agency(name, files / f"{name}.yaml", home=self.home)
        self.employer = runtime.load_agency("employer", self.home)
        t0 = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            started = pool.submit(runtime.start_agency, "employer", self.home)
            wallet = pool.submit(
                init_wallet, label="Citizen", genesis=None, use_keyring=False, home=self.home
            )
            started.result()
            wallet.result()
        self.log(f"  employer agency and citizen wallet up in {time.monotonic() - t0:.1f} s")
        with Issuer.open(self.employer) as issuer:
            self.ctype = resolve_type(self.employer, "IncomeStatement")
            for revocable in (False, True):
                t0 = time.monotonic()
                made = issuer.create_creddef(
                    self.ctype, revocable=revocable, registry_size=self.registry_size, timeout=600
                )
                self.cred_defs[revocable] = made["cred_def_id"]
                self.log(
                    f"  employer cred def (revocable={revocable}) in {time.monotonic() - t0:.1f} s"
                )
        # The municipality trusts exactly those definitions; its webhooks go to serve.
        path = self.home / "agencies" / "municipality" / "agency.yaml"
        muni = runtime.load_agency("municipality", self.home)
        doc = yaml.safe_load(path.read_text())
        del muni  # its agent posts webhooks to `verifier serve` by itself
        doc["settings"] = {
            "trusted_plain": [self.cred_defs[False]],
            "trusted_rev": [self.cred_defs[True]],
            "bench_webhook": self.sink.url,
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        runtime.start_agency("municipality", self.home)  # starts `verifier serve` too
        self.municipality = runtime.load_agency("municipality", self.home)
        self.serve_pid = serve.serve_status(self.municipality)["pid"]
        self.open_hub()
        self.employer_conn, self.holder_employer_conn = self.connect_employer()
        self.muni_conn, self.holder_muni_conn = self._connect_municipality()

    def open_hub(self) -> None:
        self.holder_hub = EventHub(*self._holder_admin(), "holder").__enter__()

    def close_hub(self) -> None:
        hub, self.holder_hub = getattr(self, "holder_hub", None), None
        if hub is not None:
            hub.__exit__()

    def _holder_admin(self) -> tuple[str, str]:
        from ssi_wallet.agent import process
        from ssi_wallet.holder.agent import holder_paths

        runtime = process.status(holder_paths(self.home).root)
        assert runtime is not None
        return runtime.admin_url, runtime.api_key

    def holder_client(self):
        from ssi_wallet.holder.agent import holder_client

        return holder_client(self.home)

    def __exit__(self, *exc: object) -> None:
        from ssi_wallet.agency import runtime
        from ssi_wallet.agent import process
        from ssi_wallet.holder.agent import holder_paths

        self.close_hub()
        for name in ("municipality", "employer"):
            try:
                runtime.stop_agency(name, self.home)
            except Exception:  # noqa: BLE001
                pass
        try:
            process.stop(holder_paths(self.home).root)
        except Exception:  # noqa: BLE001
            pass
        self.sink.close()

    @property
    def pids(self) -> dict[str, int]:
        from ssi_wallet.agency import runtime
        from ssi_wallet.agent import process
        from ssi_wallet.holder.agent import holder_paths

        return {
            "issuer (employer)": runtime.instance_runtimes(self.employer)[0].pid,
            "holder (citizen)": process.status(holder_paths(self.home).root).pid,
            "verifier (municipality)": runtime.instance_runtimes(self.municipality)[0].pid,
            "verifier serve": self.serve_pid,
        }

    # ---------------------------------------------------------------- connections

    def connect_employer(self) -> tuple[str, str]:
        from ssi_wallet.agency.issuance import Issuer
        from ssi_wallet.holder.connections import connect
        from ssi_wallet.holder.invitations import read_invitation

        with Issuer.open(self.employer) as issuer, self.holder_client() as holder:
            invitation = issuer.invite()
            conn = connect(holder, read_invitation(invitation["invitation_url"]))
            return self._inviter_side(issuer.client, invitation["invi_msg_id"]), conn.id

    def _connect_municipality(self) -> tuple[str, str]:
        from ssi_wallet.agency import verifier
        from ssi_wallet.holder.connections import connect
        from ssi_wallet.holder.invitations import read_invitation

        with verifier.client_for(self.municipality) as client, self.holder_client() as holder:
            invitation = verifier.create_invitation(self.municipality, client, "BENCH-1")
            conn = connect(holder, read_invitation(invitation["invitation_url"]))
            return self._inviter_side(client, invitation["invi_msg_id"]), conn.id

    @staticmethod
    def _inviter_side(client, invi_msg_id: str) -> str:
        for _ in range(100):  # setup only: the inviter may lag the invitee by a moment
            found = client.get("/connections", params={"invitation_msg_id": invi_msg_id})
            for conn in found.get("results") or []:
                if conn.get("state") in ("active", "completed"):
                    return conn["connection_id"]
            time.sleep(0.1)
        raise RuntimeError("the inviter's connection did not become active")

    # ---------------------------------------------------------------- consent

    def grant_consent(self, revocable: bool) -> None:
        """The citizen answers the first request of the policy himself, then consents."""
        from ssi_wallet.holder.consent import grant
        from ssi_wallet.holder.proofs import plan_presentation, present

        self.issue(revocable)  # something to prove
        policy = POLICIES[revocable]
        with self.holder_client() as holder:
            self.prove_exchange(
                policy,
                answer=lambda request_id: present(holder, plan_presentation(holder, request_id)),
                timeout=120,
            )
            grant(
                holder,
                connection_id=self.holder_muni_conn,
                policy=policy,
                until=dt.date.today() + dt.timedelta(days=30),
            )

    # ---------------------------------------------------------------- one iteration

    def _next(self) -> int:
        with self.lock:
            return next(self.counter)

    def issue(self, revocable: bool, *, connection: tuple[str, str] | None = None) -> float:
        return self.issue_exchange(revocable, connection=connection).seconds

    def issue_exchange(
        self,
        revocable: bool,
        *,
        connection: tuple[str, str] | None = None,
        accept: Accept | None = None,
    ) -> Issued:
        """Offer a fresh IncomeStatement and have the citizen accept it (in process, or
        with `accept`, e.g. through the CLI); returns once it is stored."""
        from ssi_wallet.holder.offers import accept_offer

        employer_conn = connection[0] if connection else self.employer_conn
        values = income_values(self._next())
        with _issuer_class().open(self.employer) as issuer, self.holder_client() as holder:
            if accept is None:
                accept = lambda offer_id: accept_offer(  # noqa: E731
                    holder, offer_id, timeout=EXCHANGE_TIMEOUT
                )
            t0 = time.perf_counter()
            issuer.issue(
                employer_conn, self.ctype, values, cred_def_id=self.cred_defs[revocable], wait=False
            )
            offered = self.holder_hub.expect(
                on(
                    "issue_credential_v2_0",
                    state="offer-received",
                    thread_id=issuer.last_offer["thread_id"],
                )
            )
            offer_id = offered.result(timeout=EXCHANGE_TIMEOUT)["cred_ex_id"]
            stored = accept(offer_id)
            elapsed = time.perf_counter() - t0
        if not stored:
            raise RuntimeError("offer accepted but no credential stored")
        return Issued(elapsed, values["employee_ref"], stored)

    def _send_request(self, policy_name: str) -> tuple[str, Future]:
        """Each request is an application of its own (case BENCH-A<n>): iterations in
        flight at once are applications at once. Asking one case again while its request
        is unanswered would withdraw that request (a re-ask supersedes it), which is not
        what concurrency means here."""
        from ssi_wallet.agency import verifier

        with verifier.client_for(self.municipality) as client:
            policy = verifier.policy_for(self.municipality, policy_name)
            sent = verifier.send_request(
                self.municipality,
                client,
                policy,
                connection_id=self.muni_conn,
                case_ref=f"BENCH-A{self._next()}",
            )
        return sent["pres_ex_id"], self.sink.expect(sent["pres_ex_id"])

    def request_arrival(self) -> Future:
        """The holder's event for the next proof request from the municipality."""
        return self.holder_hub.expect(
            on("present_proof_v2_0", state="request-received", connection_id=self.holder_muni_conn),
            fresh=True,
        )

    def prove(self, revocable: bool, policy: str | None = None) -> float:
        return self.prove_exchange(policy or POLICIES[revocable]).seconds

    def prove_exchange(
        self, policy: str, *, answer: Answer | None = None, timeout: float = EXCHANGE_TIMEOUT
    ) -> Proved:
        """The municipality asks with `policy`; the wallet answers under standing consent,
        or by hand with `answer` (e.g. the CLI) for a policy nobody consented to."""
        t0 = time.perf_counter()
        if answer is None:
            pres_ex_id, done = self._send_request(policy)
        else:
            request = self.request_arrival()
            pres_ex_id, done = self._send_request(policy)
            answer(request.result(timeout=timeout)["pres_ex_id"])
        decided = done.result(timeout=timeout)
        elapsed = time.perf_counter() - t0
        if decided.get("outcome") != "verified":
            raise RuntimeError(
                f"proof not verified: {decided.get('outcome')} {decided.get('summary')}"
            )
        return Proved(elapsed, pres_ex_id, decided)

    def iteration(self, revocable: bool):
        def run(_worker: int, _index: int) -> dict[str, float]:
            return {"issuance_s": self.issue(revocable), "proof_s": self.prove(revocable)}

        return run

    def fresh_connection_issuance(self, count: int, revocable: bool = False) -> dict[str, Any]:
        from bench.common import summary_ms

        times = []
        for _ in range(count):
            connection = self.connect_employer()  # not timed
            times.append(self.issue(revocable, connection=connection))
        return summary_ms(times)
