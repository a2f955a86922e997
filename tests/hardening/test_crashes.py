"""Bounded crash runs for CI (the 100-run version is scripts/crash_runs.py): kill -9 of the
citizen's holder agent once at each stage of issuance and presentation, then a restart;
no credential lost or duplicated, every exchange completed or cleanly abandoned."""

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
    failed = [r for r in summary["results"] if not r.get("ok")]
    # One root cause, two stages: ACA-Py saves the exchange's new state (request-sent,
    # presentation-sent) before its in-memory outbound queue delivers the message, so a
    # kill -9 in between loses the message while the record says it was sent.
    known = [
        r
        for r in failed
        if (r["stage"] == "after-send-request"
            and str(r.get("result", "")).startswith("not completed"))
        or (r["stage"] == "after-send-presentation"
            and r.get("result") == "presented before the crash"
            and r.get("verifier") == "request-sent")
    ]
    assert [r for r in failed if r not in known] == [], failed
    if known:  # docs/reliability.md, "Finding, not fixed": ACA-Py's in-memory outbound
        pytest.xfail(f"exchange stranded by a kill right after sending: {known}")
