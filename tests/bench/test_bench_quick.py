"""`python -m bench --quick` runs end to end and writes its documents (numbers are never
asserted: they depend on the machine and its load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_writes_results_and_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSI_WALLET_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert {"meta", "floor", "ledger", "stock", "ours", "targets"} <= set(results)
    assert results["meta"]["mode"] == "quick" and not results["meta"]["failures"]
    assert {"cores", "cpu_model"} <= set(results["meta"]["machine"])
    for mode in ("plain", "revocable"):
        floor = results["floor"][mode]
        assert {"steps", "issuance", "proof"} <= set(floor)
        # The floor takes turns with the agents at c=1: as many iterations as that level.
        assert floor["measured"].startswith("in turns")
        assert floor["iterations"] == results["ours"][mode]["1"]["iterations"] > 0
        for who in ("stock", "ours"):
            level = results[who][mode]["1"]
            assert {
                "iterations_per_min",
                "issuance",
                "proof",
                "cpu_s_per_iteration",
                "errors",
            } <= set(level)
            assert level["iterations"] > 0 and level["errors"] == 0
            assert {"p50_ms", "p95_ms"} <= set(level["issuance"]) | set(level["proof"])
    for who in ("stock", "ours"):
        assert "p50_ms" in results[who]["fresh_connection_issuance"]
    ours = results["ours"]
    assert {"help_ms", "credentials_list_ms", "credentials_list_table_ms"} <= set(ours["cli"])
    assert {"fill", "answer", "cli"} <= set(ours["wallet_10k"])
    assert "answer_ms" in ours["wallet_10k"]["answer"]
    assert {"1_node", "4_nodes"} <= set(results["ledger"])
    assert all({"name", "value", "target", "met"} <= set(t) for t in results["targets"])
    report = (tmp_path / "performance.md").read_text()
    assert "## Targets" in report and "performance.png" in report
    assert (tmp_path / "performance.png").stat().st_size > 0
