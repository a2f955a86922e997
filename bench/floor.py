"""The crypto floor: the AnonCreds operations of one iteration, in one process, with the
`anoncreds` library (the Rust CL implementation; ACA-Py 0.12.8's askar wallets call the
same code through `indy-credx`), no storage, no network, no agent.

One iteration: credential offer, request, issue, process (what "store" costs besides the
wallet insert), and a presentation of one predicate (`net_income_cents < 150000`) that is
verified. With revocation the credential is issued into a registry of 1000 (status list
updated), the holder builds its non-revocation state from the tails file, as a holder must
for each presentation, and the verifier checks it against the status list.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

from bench.common import INCOME_VALUES, summary_ms

ISSUER = "did:bench:issuer"
ATTRS = INCOME_VALUES
STEPS = ("offer", "request", "issue", "process", "present", "verify")


def run(iterations: int, *, revocation: bool, registry_size: int = 1000) -> dict[str, Any]:
    from anoncreds import (
        Credential,
        CredentialDefinition,
        CredentialOffer,
        CredentialRequest,
        CredentialRevocationConfig,
        CredentialRevocationState,
        Presentation,
        PresentCredentials,
        RevocationRegistryDefinition,
        RevocationStatusList,
        Schema,
        create_link_secret,
        generate_nonce,
    )

    tails = tempfile.TemporaryDirectory(prefix="bench-tails-")
    setup: dict[str, float] = {}
    t0 = time.perf_counter()
    schema = Schema.create("IncomeStatement", "1.0", ISSUER, list(ATTRS))
    schema_id = "bench:schema"
    cred_def, cred_def_priv, key_proof = CredentialDefinition.create(
        schema_id, schema, ISSUER, "default", "CL", support_revocation=revocation
    )
    cred_def_id = "bench:creddef"
    setup["cred_def_s"] = time.perf_counter() - t0
    rev_reg_def = rev_reg_priv = status = None
    rev_reg_id = "bench:revreg"
    if revocation:
        t0 = time.perf_counter()
        rev_reg_def, rev_reg_priv = RevocationRegistryDefinition.create(
            cred_def_id, cred_def, ISSUER, "0", "CL_ACCUM", registry_size, tails_dir_path=tails.name
        )
        status = RevocationStatusList.create(
            cred_def, rev_reg_id, rev_reg_def, rev_reg_priv, ISSUER, True, int(time.time())
        )
        setup["rev_reg_s"] = time.perf_counter() - t0
    link_secret = create_link_secret()
    schemas = {schema_id: schema}
    cred_defs = {cred_def_id: cred_def}
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    totals: list[float] = []
    for i in range(iterations):
        if revocation and i + 1 > registry_size:
            break
        start = time.perf_counter()
        marks = [start]
        offer = CredentialOffer.create(schema_id, cred_def_id, key_proof)
        marks.append(time.perf_counter())
        request, meta = CredentialRequest.create(
            "bench-holder-entropy", None, cred_def, link_secret, "default", offer
        )
        marks.append(time.perf_counter())
        config = None
        if revocation:
            config = CredentialRevocationConfig(rev_reg_def, rev_reg_priv, status, i + 1)
        cred = Credential.create(
            cred_def, cred_def_priv, offer, request, ATTRS, revocation_config=config
        )
        marks.append(time.perf_counter())
        cred = cred.process(meta, link_secret, cred_def, rev_reg_def)
        marks.append(time.perf_counter())
        now = int(time.time())
        pres_req: dict[str, Any] = {
            "name": "income-check",
            "version": "1.0",
            "nonce": generate_nonce(),
            "requested_attributes": {},
            "requested_predicates": {
                "income": {
                    "name": "net_income_cents",
                    "p_type": "<",
                    "p_value": 150000,
                    "restrictions": [{"cred_def_id": cred_def_id}],
                }
            },
        }
        present = PresentCredentials()
        if revocation:
            status_ts = status.to_dict()["timestamp"]
            pres_req["non_revoked"] = {"from": status_ts, "to": max(now, status_ts)}
            rev_state = CredentialRevocationState.create(
                rev_reg_def, status, i + 1, rev_reg_def.tails_location
            )
            present.add_predicates(cred, "income", timestamp=status_ts, rev_state=rev_state)
        else:
            present.add_predicates(cred, "income")
        presentation = Presentation.create(pres_req, present, {}, link_secret, schemas, cred_defs)
        marks.append(time.perf_counter())
        if revocation:
            ok = presentation.verify(
                pres_req, schemas, cred_defs, {rev_reg_id: rev_reg_def}, [status]
            )
        else:
            ok = presentation.verify(pres_req, schemas, cred_defs)
        marks.append(time.perf_counter())
        if not ok:
            raise RuntimeError("floor: the presentation did not verify")
        for step, (a, b) in zip(STEPS, zip(marks, marks[1:], strict=False), strict=True):
            timings[step].append(b - a)
        totals.append(marks[-1] - start)
    tails.cleanup()
    steps = {step: summary_ms(values) for step, values in timings.items()}
    issuance = [
        sum(timings[s][i] for s in ("offer", "request", "issue", "process"))
        for i in range(len(totals))
    ]
    proof = [timings["present"][i] + timings["verify"][i] for i in range(len(totals))]
    return {
        "revocation": revocation,
        "registry_size": registry_size if revocation else None,
        "iterations": len(totals),
        "setup_s": {k: round(v, 2) for k, v in setup.items()},
        "steps": steps,
        "issuance": summary_ms(issuance),
        "proof": summary_ms(proof),
        "iteration": summary_ms(totals),
        "cpu_s_per_iteration": round(sum(totals) / max(len(totals), 1), 4),
    }


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(
        json.dumps(
            {"plain": run(n, revocation=False), "revocable": run(n, revocation=True)}, indent=1
        )
    )
