"""The benchmark's own arithmetic: turns, per-turn ratios, the steal reading and the
intervals of p50 ratios (the numbers the report's reading of noise rests on)."""

from __future__ import annotations

import os

from bench.__main__ import chunks_of
from bench.common import median_ratio_interval, stolen_seconds, summary_ms
from bench.report import targets, turn_ratios
from bench.runner import Chunk, summarise


def _chunk(iterations: int, wall_s: float, stolen_s: float | None = None) -> Chunk:
    results = [{"issuance_s": 0.2, "proof_s": 0.3}] * iterations
    return Chunk(results=results, wall_s=wall_s, cpu={"holder": 0.5 * iterations},
                 stolen_s=stolen_s)


def test_turns_cover_the_level_in_even_sizes() -> None:
    assert chunks_of(100, 1) == [10] * 10
    assert chunks_of(50, 4) == [9, 9, 8, 8, 8, 8]
    assert chunks_of(50, 8) == [17, 17, 16]
    assert chunks_of(3, 1) == [3]
    assert sum(chunks_of(51, 4)) == 51


def test_each_turn_keeps_its_own_rate_and_the_ratios_pair_turns() -> None:
    stock = summarise("stock plain", 1, [_chunk(10, 6.0), _chunk(10, 5.0)], log=lambda _: None)
    ours = summarise("ours plain", 1, [_chunk(10, 5.0), _chunk(10, 6.0)], log=lambda _: None)
    assert stock["per_turn_per_min"] == [100.0, 120.0]
    assert stock["iterations_per_min"] == ours["iterations_per_min"] == round(20 / 11 * 60, 1)
    results = {"stock": {"plain": {"1": stock}}, "ours": {"plain": {"1": ours}}}
    assert turn_ratios(results, "plain", "1") == [1.2, 0.83]


def test_stolen_time_is_a_share_of_the_level_and_absent_when_unknown() -> None:
    cores = os.cpu_count() or 1
    level = summarise("x", 1, [_chunk(5, 10.0, stolen_s=0.5 * cores), _chunk(5, 10.0, 0.0)],
                      log=lambda _: None)
    assert level["stolen_pct"] == 2.5
    assert summarise("x", 1, [_chunk(5, 10.0)], log=lambda _: None)["stolen_pct"] is None
    first = stolen_seconds()
    assert first is None or stolen_seconds() >= first >= 0


def test_p50_ratio_interval_brackets_the_ratio_and_narrows_with_agreement() -> None:
    spread = [300.0 + 7 * (i % 13) for i in range(100)]  # 300-384 ms, median 342
    same = median_ratio_interval(spread, list(reversed(spread)))
    assert same is not None and same[0] < 1.0 < same[1] and same[1] - same[0] < 0.1
    slower = median_ratio_interval([2 * v for v in spread], spread)
    assert slower is not None and 1.9 < slower[0] <= 2.0 <= slower[1] < 2.1
    assert median_ratio_interval([2.0] * 30, [1.0] * 30) == (2.0, 2.0)
    assert median_ratio_interval(spread, spread) == median_ratio_interval(spread, spread)
    assert median_ratio_interval([1.0], spread) is None


def test_targets_carry_intervals_only_where_samples_were_kept() -> None:
    def level(proof_s: list[float], keep: bool) -> dict:
        return {"iterations_per_min": 90.0,
                "issuance": summary_ms([0.3] * len(proof_s), keep_samples=keep),
                "proof": summary_ms(proof_s, keep_samples=keep)}

    proofs = [0.38 + 0.004 * (i % 10) for i in range(40)]
    results = {"ours": {"plain": {"1": level(proofs, True)}},
               "stock": {"plain": {"1": level([p * 1.1 for p in proofs], True)}},
               "floor": {"plain": {"proof": summary_ms([0.17] * 40, keep_samples=True)}}}
    rows = {t["name"]: t for t in targets(results)}
    proof = rows["proof p50 vs stock, plain, c=1"]
    assert proof["met"] is True and proof["interval"][0] <= proof["value"] <= proof["interval"][1]
    assert rows["proof round trip p50 vs crypto floor, plain, c=1"]["interval"] is not None
    assert rows["iterations/min vs stock, plain, c=1"]["interval"] is None
    results["stock"]["plain"]["1"] = level(proofs, False)  # written before samples were kept
    assert {t["name"]: t for t in targets(results)}["proof p50 vs stock, plain, c=1"][
        "interval"] is None
