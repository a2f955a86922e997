"""The crypto floor: the AnonCreds operations of one iteration, in one process, with
`indy-credx`, the library ACA-Py 0.12.8's askar wallets call (the same calls and
arguments as its credx issuer, holder and verifier), no storage, no network, no agent.

One iteration: credential offer, request, issue, process (what "store" costs besides the
wallet insert), and a presentation of one predicate (`net_income_cents < 150000`) that is
verified. With revocation the credential is issued into a registry of 1000 (issuance by
default, as ACA-Py creates them), the holder builds its non-revocation state from the
registry's delta and the tails file, as ACA-Py's holder does for each presentation, and
the verifier checks it against the registry's accumulator.

`Floor` keeps its keys between calls of `run`, so the benchmark can measure it in turns
with the agents' concurrency-1 level (`bench/__main__.py`), where the machine is in the
same state as when the agents are measured.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

from bench.common import INCOME_VALUES, income_check, summary_ms

ISSUER = "55GkHamhTU1ZbTbV2ab9DE"
ATTRS = INCOME_VALUES
STEPS = ("offer", "request", "issue", "process", "present", "verify")


class Floor:
    """One mode's keys (and registry) made once; `run` adds timed iterations."""

    def __init__(self, *, revocation: bool, registry_size: int = 1000) -> None:
        import indy_credx as cx

        self.cx = cx
        self.revocation = revocation
        self.registry_size = registry_size
        self.timings: dict[str, list[float]] = {step: [] for step in STEPS}
        self.setup: dict[str, float] = {}
        self.tails = tempfile.TemporaryDirectory(prefix="bench-tails-")
        t0 = time.perf_counter()
        self.schema = cx.Schema.create(ISSUER, "IncomeStatement", "1.0", list(ATTRS))
        self.cred_def, self.cred_def_priv, self.key_proof = cx.CredentialDefinition.create(
            ISSUER, self.schema, "CL", "default", support_revocation=revocation
        )
        self.setup["cred_def_s"] = time.perf_counter() - t0
        self.rev_reg_def = self.rev_reg_priv = self.rev_reg = self.delta = None
        self.timestamp = int(time.time())
        if revocation:
            t0 = time.perf_counter()
            (self.rev_reg_def, self.rev_reg_priv, self.rev_reg, self.delta) = (
                cx.RevocationRegistryDefinition.create(
                    ISSUER, self.cred_def, "0", "CL_ACCUM", registry_size,
                    tails_dir_path=self.tails.name,
                )
            )
            self.setup["rev_reg_s"] = time.perf_counter() - t0
        self.link_secret = cx.LinkSecret.create()
        self.issued = 0

    def run(self, iterations: int) -> None:
        """`iterations` more timed iterations (stops when the registry is full)."""
        cx = self.cx
        for _ in range(iterations):
            if self.revocation and self.issued >= self.registry_size:
                return
            self.issued += 1
            start = time.perf_counter()
            marks = [start]
            offer = cx.CredentialOffer.create(self.schema.id, self.cred_def, self.key_proof)
            marks.append(time.perf_counter())
            request, meta = cx.CredentialRequest.create(
                ISSUER, self.cred_def, self.link_secret, "default", offer
            )
            marks.append(time.perf_counter())
            config = None
            if self.revocation:
                config = cx.CredentialRevocationConfig(
                    self.rev_reg_def, self.rev_reg_priv, self.rev_reg, self.issued, []
                )
            cred, _, _ = cx.Credential.create(
                self.cred_def, self.cred_def_priv, offer, request, ATTRS, None, config
            )
            marks.append(time.perf_counter())
            cred = cred.process(meta, self.link_secret, self.cred_def, self.rev_reg_def)
            marks.append(time.perf_counter())
            pres_req = {**income_check(self.cred_def.id), "nonce": cx.generate_nonce()}
            present = cx.PresentCredentials()
            if self.revocation:
                pres_req["non_revoked"] = {"from": self.timestamp, "to": int(time.time())}
                state = cx.CredentialRevocationState.create(
                    self.rev_reg_def, self.delta, self.issued, self.timestamp,
                    self.rev_reg_def.tails_location,
                )
                present.add_predicates(cred, "income", timestamp=self.timestamp,
                                       rev_state=state)
            else:
                present.add_predicates(cred, "income")
            presentation = cx.Presentation.create(
                pres_req, present, {}, self.link_secret, [self.schema], [self.cred_def]
            )
            marks.append(time.perf_counter())
            if self.revocation:
                ok = presentation.verify(
                    pres_req, [self.schema], [self.cred_def], [self.rev_reg_def],
                    {self.rev_reg_def.id: {self.timestamp: self.rev_reg}},
                )
            else:
                ok = presentation.verify(pres_req, [self.schema], [self.cred_def])
            marks.append(time.perf_counter())
            if not ok:
                raise RuntimeError("floor: the presentation did not verify")
            for step, (a, b) in zip(STEPS, zip(marks, marks[1:], strict=False), strict=True):
                self.timings[step].append(b - a)

    def result(self, measured: str) -> dict[str, Any]:
        """The mode's figures; `measured` says when they were taken."""
        t = self.timings
        count = len(t["offer"])
        issuance = [sum(t[s][i] for s in ("offer", "request", "issue", "process"))
                    for i in range(count)]
        proof = [t["present"][i] + t["verify"][i] for i in range(count)]
        totals = [sum(t[s][i] for s in STEPS) for i in range(count)]
        return {
            "revocation": self.revocation,
            "registry_size": self.registry_size if self.revocation else None,
            "iterations": count,
            "measured": measured,
            "setup_s": {k: round(v, 2) for k, v in self.setup.items()},
            "steps": {step: summary_ms(values) for step, values in t.items()},
            "issuance": summary_ms(issuance),
            "proof": summary_ms(proof, keep_samples=True),
            "iteration": summary_ms(totals),
            "cpu_s_per_iteration": round(sum(totals) / max(count, 1), 4),
        }

    def close(self) -> None:
        self.tails.cleanup()


def run(iterations: int, *, revocation: bool, registry_size: int = 1000) -> dict[str, Any]:
    """One mode's floor on its own (`--only floor`, or no c=1 level to take turns with)."""
    floor = Floor(revocation=revocation, registry_size=registry_size)
    try:
        floor.run(iterations)
        return floor.result("on its own, not in turns with agents")
    finally:
        floor.close()


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(
        json.dumps(
            {"plain": run(n, revocation=False), "revocable": run(n, revocation=True)}, indent=1
        )
    )
