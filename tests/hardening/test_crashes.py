"""Bounded crash runs for CI (the 100-run version is scripts/crash_runs.py): kill -9 of the
citizen's holder agent once at each stage of issuance and presentation, then a restart;
no credential lost or duplicated, every exchange completed or cleanly abandoned (both
sides `abandoned`; tests/hardening/test_stranded.py makes those cases on purpose)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.harness import Stack

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "crash_runs.py"


def _crash_module():
    spec = importlib.util.spec_from_file_location("crash_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("crash")).start()
    yield stack
    stack.stop()


def test_holder_killed_at_each_stage_loses_and_duplicates_nothing(stack: Stack) -> None:
    crash = _crash_module()
    summary = crash.crash_runs(len(crash.STAGES), seed=8, stack=stack)
    assert summary["duplicates"] == 0
    assert summary["lost"] == 0
    assert not [r for r in summary["results"] if r.get("cli", {}).get("traceback")]
    # Every run ends completed or abandoned on both sides: an exchange a kill stranded in
    # "sent, not acknowledged" (ACA-Py saved request-sent/presentation-sent before its
    # in-memory outbound queue delivered) is abandoned by the restarted agent, and the
    # issuer's new offer is stored exactly once (scripts/crash_runs.py checks each run).
    failed = [r for r in summary["results"] if not r.get("ok")]
    assert failed == [], failed


# ------------------------------------------------------------------ the verifier agency's agent


@pytest.fixture(scope="module")
def paying_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, object]]:
    """A stack whose agency runs the income supplement, paying to a local receiver;
    `serve` catches up every 10 s (60 by default) so a stalled exchange recovers soon."""
    receiver = _crash_module().PaymentsReceiver()
    stack = Stack(tmp_path_factory.mktemp("agency-crash"), payments_url=receiver.url,
                  catchup_seconds=10).start()
    yield stack, receiver
    stack.stop()
    receiver.close()


@pytest.mark.parametrize("stage", ["after-request-sent", "after-presentation-arrived",
                                   "after-payment-decision"])
def test_agency_agent_killed_pays_once(paying_stack: tuple[Stack, object], stage: str) -> None:
    """kill -9 of the agency's ACA-Py agent at `stage` of the income supplement, then
    `agency start`: the month is paid exactly once (case store and payment webhook)."""
    crash = _crash_module()
    stack, receiver = paying_stack
    number = crash.AGENCY_STAGES.index(stage) + 1
    outcome = crash.agency_agent_run(stack, receiver, number, stage,
                                     crash.random.Random(number))
    assert outcome["payments"] == 1 and outcome["webhook_keys"] == 1, outcome
    assert outcome["ok"], outcome
