"""The benchmark's own arithmetic: turns, per-turn ratios and the steal reading (the
numbers the report's reading of noise rests on)."""

from __future__ import annotations

import os

from bench.__main__ import chunks_of
from bench.common import stolen_seconds
from bench.report import turn_ratios
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
