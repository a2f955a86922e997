"""Workflows: what a verifier agency decides when a proof exchange ends.

One module per workflow, each with `OPTIONS` (the keys a policy's `workflow:` mapping may
set, with defaults), `check(policy, agency) -> list[str]` and `decide(ctx) -> Decision`.
`decide` runs inside the exchange's database transaction (`ctx.tx`): the records it writes
(payment, award, brake event) commit together with the decision, exactly once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssi_wallet.agency.cases import CaseStore
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agency.db import Transaction
    from ssi_wallet.agency.policy import Policy, ProofFacts

MODULES = {
    "income_supplement": "ssi_wallet.agency.workflows.income_supplement",
    "asbestos_contribution": "ssi_wallet.agency.workflows.asbestos_contribution",
    "emergency_brake": "ssi_wallet.agency.workflows.emergency_brake",
    "none": "ssi_wallet.agency.workflows.record_only",
}


@dataclass
class Context:
    policy: Policy
    agency: AgencyConfig
    facts: ProofFacts
    store: CaseStore
    tx: Transaction
    case: dict[str, Any]
    pres_ex_id: str
    purpose: str                      # "request" or "recheck"
    today: dt.date

    @property
    def case_ref(self) -> str:
        return self.case["case_ref"]

    def option(self, name: str) -> Any:
        module = _module(self.policy.workflow)
        return self.policy.workflow_options.get(name, module.OPTIONS.get(name))


@dataclass
class Decision:
    outcome: str                       # e.g. entitled, not_entitled, awarded, brake_lifted
    summary: str                       # one line for people
    values: dict[str, Any] = field(default_factory=dict)  # for action templates, audit


def _module(name: str):
    return import_module(MODULES[name])


def check_options(name: str, options: dict[str, Any]) -> str | None:
    """A problem with the options a policy sets for workflow `name`, or None."""
    module = _module(name)
    unknown = sorted(set(options) - set(module.OPTIONS))
    if unknown:
        known = ", ".join(sorted(module.OPTIONS)) or "none"
        return f"unknown option(s) for {name}: {', '.join(unknown)} (options: {known})"
    return module.check_options(options) if hasattr(module, "check_options") else None


def check_agency(policy: Policy, agency: AgencyConfig) -> list[str]:
    module = _module(policy.workflow)
    return module.check(policy, agency) if hasattr(module, "check") else []


def decide(ctx: Context) -> Decision:
    return _module(ctx.policy.workflow).decide(ctx)
