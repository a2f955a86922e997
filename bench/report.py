"""Turn results.json into docs/performance.md (tables, ratios, targets) and a PNG chart.

The chart is drawn with Pillow (already installed: ACA-Py's `qrcode[pil]` pulls it in),
so the benchmark needs no plotting dependency. `bench/attempts.md` (hand-written: what
was profiled, what was changed, the effect) and `bench/demo.md` (the demo's measured
wall times) are included verbatim.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.common import median_ratio_interval

ATTEMPTS = Path(__file__).resolve().parent / "attempts.md"
# The demo's wall times are measured by running `make demo`, not by the benchmark.
DEMO = Path(__file__).resolve().parent / "demo.md"


def _get(doc: Any, *path: Any) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _ours_levels(r: dict[str, Any], mode: str) -> list[str]:
    """The concurrency levels ours ran in `mode`, lowest first."""
    return sorted((_get(r, "ours", mode) or {}).keys(), key=int)


def _ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 2)


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, value: Any, target: str, met: bool | None, aim: str = "",
            interval: tuple[float, float] | None = None) -> None:
        out.append({"name": name, "value": value, "target": target, "met": met, "aim": aim,
                    "interval": interval})

    for mode in ("plain", "revocable"):
        for level in _ours_levels(r, mode):
            ours = _get(r, "ours", mode, level, "iterations_per_min")
            stock = _get(r, "stock", mode, level, "iterations_per_min")
            ratio = _ratio(ours, stock)
            add(
                f"iterations/min vs stock, {mode}, c={level}",
                ratio,
                ">= 1.0 (aim 1.25)",
                None if ratio is None else ratio >= 1.0,
            )
        for what in ("issuance", "proof"):
            ours = _get(r, "ours", mode, "1", what, "p50_ms")
            stock = _get(r, "stock", mode, "1", what, "p50_ms")
            ratio = _ratio(ours, stock)
            add(
                f"{what} p50 vs stock, {mode}, c=1",
                ratio,
                "<= 1.0 (aim 0.8)",
                None if ratio is None else ratio <= 1.0,
                interval=_interval(_get(r, "ours", mode, "1", what),
                                   _get(r, "stock", mode, "1", what)),
            )
        ours = _get(r, "ours", mode, "1", "proof", "p50_ms")
        floor = _get(r, "floor", mode, "proof", "p50_ms")
        ratio = _ratio(ours, floor)
        add(
            f"proof round trip p50 vs crypto floor, {mode}, c=1",
            ratio,
            "<= 1.6",
            None if ratio is None else ratio <= 1.6,
            interval=_interval(_get(r, "ours", mode, "1", "proof"),
                               _get(r, "floor", mode, "proof")),
        )
    answer = _get(r, "ours", "wallet_10k", "answer", "answer_ms")
    add(
        "10k-credential wallet answers a proof request (ms)",
        answer,
        "<= 1000",
        None if answer is None else answer <= 1000,
    )
    help_ms = _get(r, "ours", "cli", "help_ms")
    add("`ssi-wallet --help` (ms)", help_ms, "< 200", None if help_ms is None else help_ms < 200)
    # The command as a citizen runs it (the newest 50 as a table); `--json`, which lists
    # every credential and grows with the wallet, is in the CLI section below.
    list_ms = _get(r, "ours", "cli", "credentials_list_table_ms")
    add(
        "`ssi-wallet credentials list`, agent up (ms)",
        list_ms,
        "< 300",
        None if list_ms is None else list_ms < 300,
    )
    return out


def _interval(ours: dict[str, Any] | None, other: dict[str, Any] | None
              ) -> tuple[float, float] | None:
    """The bootstrap interval of a p50 ratio, from the samples both summaries kept
    (None for results written before they kept them)."""
    a, b = _get(ours, "samples_ms"), _get(other, "samples_ms")
    return median_ratio_interval(a, b) if a and b else None


def interval_text(interval: Any) -> str:
    return f"{interval[0]:g}-{interval[1]:g}" if interval else "-"


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _level_rows(r: dict[str, Any]) -> list[str]:
    rows = [
        "| mode | c | who | it/min | issuance p50 / p95 ms | proof p50 / p95 ms | "
        "CPU s/it total | CPU s/it by process | errors | stolen % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in ("plain", "revocable"):
        levels = sorted(
            set((_get(r, "ours", mode) or {}).keys()) | set((_get(r, "stock", mode) or {}).keys()),
            key=int,
        )
        for level in levels:
            for who in ("stock", "ours"):
                d = _get(r, who, mode, level)
                if not d:
                    continue
                by = ", ".join(
                    f"{k} {v:g}" for k, v in d["cpu_s_per_iteration"].items() if v is not None
                )
                rows.append(
                    f"| {mode} | {level} | {who} | {_fmt(d['iterations_per_min'])} | "
                    f"{_fmt(d['issuance'].get('p50_ms'))} / {_fmt(d['issuance'].get('p95_ms'))}"
                    f" | {_fmt(d['proof'].get('p50_ms'))} / {_fmt(d['proof'].get('p95_ms'))} | "
                    f"{_fmt(d['cpu_s_per_iteration_total'])} | {by} | {d['errors']} | "
                    f"{_fmt(d.get('stolen_pct'))} |"
                )
    return rows


def turn_ratios(r: dict[str, Any], mode: str, level: str) -> list[float]:
    """Ours' iterations per minute over stock's, turn by turn (the two turns of a pair
    run back to back, so the spread of these is the noise of one comparison)."""
    ours = _get(r, "ours", mode, level, "per_turn_per_min") or []
    stock = _get(r, "stock", mode, level, "per_turn_per_min") or []
    return [round(o / s, 2) for o, s in zip(ours, stock, strict=False) if o and s]


def _turns(r: dict[str, Any]) -> list[str]:
    lines = []
    for mode in ("plain", "revocable"):
        for level in _ours_levels(r, mode):
            ratios = turn_ratios(r, mode, level)
            if len(ratios) > 1:
                lines.append(f"- {mode}, c={level}: " + ", ".join(f"{x:g}" for x in ratios)
                             + f" (median {statistics.median(ratios):g})")
    if not lines:
        return []
    return ["Ours' iterations per minute over stock's, turn by turn (the spread is the "
            "noise of one comparison):", "", *lines, ""]


def write(r: dict[str, Any], md_path: Path, png_path: Path) -> None:
    meta = r["meta"]
    m = meta["machine"]
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (`python -m bench`; `--quick` for a smoke run) from "
        "`bench/results.json`; do not edit by hand except `bench/attempts.md` and "
        "`bench/demo.md`, which are included at the end. What each number means is in the "
        "module docstrings of `bench/` (`floor.py`, `stock.py`, `ours.py`, `wallet.py`).",
        "",
        f"- run: **{meta['mode']}**, {meta['started_at']} -> {meta.get('finished_at')}, "
        f"{meta.get('duration_s')} s",
        f"- machine: {m['cores']} cores, {m['cpu_model']}, {m.get('memory_gb')} GB, "
        f"Linux {m['kernel']}, Python {m['python']}",
        f"- load: at start `{meta.get('uptime_at_start')}`; at end "
        f"`{meta.get('uptime_at_end')}` (the machine is shared with other engineers' test "
        "suites: absolute numbers move with the load; the comparisons are made in the "
        "same run)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- plan: {meta['plan']}",
    ]
    if meta.get("failures"):
        lines.append(f"- **sections that failed**: {meta['failures']}")
    lines += [
        "",
        "## Targets",
        "",
        "| target | value | 95 % interval | required | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in r.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['name']} | {_fmt(t['value'])} | {interval_text(t.get('interval'))} "
                     f"| {t['target']} | {met} |")
    lines += [
        "",
        "The interval of a p50 ratio is its 95 % bootstrap interval: each side's samples "
        "of the run resampled 2,000 times on their own, the ratio of the two medians each "
        "time. It is how far that ratio could move on another run of the same two code "
        "bases with the machine as it was. A ratio whose interval spans the required "
        "value is not told apart from it by this run.",
        "",
        "## Full iterations (issue + 1-predicate proof)",
        "",
        "Concurrency c: c iterations in flight at once over one reused connection per "
        "agency and ONE citizen wallet (one holder agent), for stock and ours alike; "
        "the agencies see c parallel citizens' exchanges, the wallet serves them all. "
        "Stock and ours run side by side: both sets of agents up, taking turns within "
        "each level (stock, ours, ours, stock, ...; the AnonCreds floor takes its "
        "turns with them at c=1); a level's figures are over all its turns. c=1, where "
        "the two are closest, runs twice the iterations of the other levels.",
        "Issuance: offer sent -> stored in the wallet. Proof: request sent -> verified "
        "(stock) / -> verified, decided and recorded by `verifier serve`, action fired "
        "(ours). CPU: utime+stime from /proc per process over the level, divided by "
        "iterations; `controller` is the benchmark process itself (it plays the "
        "citizen's CLI and the agencies' staff).",
        "",
        *_level_rows(r),
        "",
        "`stolen %`: the share of this VM's CPU time its hypervisor gave to other guests "
        "during the level.",
        "",
        *_turns(r),
        "![iterations per minute and p50 latencies](performance.png)",
        "",
    ]
    lines += [
        "## Crypto floor (indy-credx in one process, per iteration)",
        "",
        "The calls ACA-Py's credx issuer, holder and verifier make, with no agent, storage "
        "or network; measured "
        + (_get(r, "floor", "plain", "measured") or "on its own")
        + f", {_get(r, 'floor', 'plain', 'iterations')} iterations per mode.",
        "",
        "| mode | offer | request | issue | process | present | verify | issuance | "
        "proof (present+verify) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in ("plain", "revocable"):
        f = _get(r, "floor", mode)
        if f:
            s = f["steps"]
            lines.append(
                f"| {mode} | "
                + " | ".join(
                    f"{_fmt(s[k].get('p50_ms'))}"
                    for k in ("offer", "request", "issue", "process", "present", "verify")
                )
                + f" | {_fmt(f['issuance'].get('p50_ms'))} | {_fmt(f['proof'].get('p50_ms'))} |"
            )
    lines += [
        "",
        "p50 in ms; cred def (and registry) creation excluded: "
        + ", ".join(
            f"{mode} {(_get(r, 'floor', mode) or {}).get('setup_s')}"
            for mode in ("plain", "revocable")
        ),
        "",
    ]
    lines += [
        "## Issuance on a fresh connection per credential",
        "",
        "ACA-Py caches offers and requests per connection; a new citizen pays the "
        "credential request on a new connection. Connection set-up not timed.",
        "",
        "| who | p50 ms | p95 ms | n |",
        "| --- | --- | --- | --- |",
    ]
    for who in ("stock", "ours"):
        d = _get(r, who, "fresh_connection_issuance")
        if d:
            lines.append(
                f"| {who} | {_fmt(d.get('p50_ms'))} | {_fmt(d.get('p95_ms'))} | {d.get('n')} |"
            )
    big = _get(r, "ours", "wallet_10k") or {}
    cli = _get(r, "ours", "cli") or {}
    lines += [
        "",
        "## Citizen's wallet: CLI and 10,000 credentials",
        "",
        f"- `ssi-wallet --help`: {_fmt(cli.get('help_ms'))} ms wall, "
        f"{_fmt(cli.get('help_cpu_ms'))} ms CPU; `ssi-wallet credentials list` "
        f"with the agent up and {_fmt(cli.get('credentials_in_wallet'))} credentials: "
        f"the table {_fmt(cli.get('credentials_list_table_ms'))} ms wall, "
        f"{_fmt(cli.get('credentials_list_table_cpu_ms'))} ms CPU of the command; "
        f"`--json` {_fmt(cli.get('credentials_list_ms'))} ms wall, "
        f"{_fmt(cli.get('credentials_list_cpu_ms'))} ms CPU (medians of "
        f"{cli.get('runs')}; the agent's own work is in the wall time only)",
        f"- fill: {big.get('fill')} (see `bench/wallet.py`: cloned records, honestly described)",
        f"- answer a proof request with {_fmt(_get(big, 'fill', 'credentials'))} "
        f"credentials: plan {_fmt(_get(big, 'answer', 'plan_ms'))} ms + present "
        f"{_fmt(_get(big, 'answer', 'present_ms'))} ms = "
        f"{_fmt(_get(big, 'answer', 'answer_ms'))} ms; proof round trip under "
        f"standing consent {_fmt(_get(big, 'answer', 'consent_round_trip_ms'))} ms",
        f"- `credentials list` with that wallet (the newest 50): table "
        f"{_fmt(_get(big, 'cli', 'credentials_list_table_ms'))} ms wall, "
        f"{_fmt(_get(big, 'cli', 'credentials_list_table_cpu_ms'))} ms CPU of the command; "
        f"`--json` (all of them) {_fmt(_get(big, 'cli', 'credentials_list_ms'))} ms wall, "
        f"{_fmt(_get(big, 'cli', 'credentials_list_cpu_ms'))} ms CPU",
        "",
    ]
    led = r.get("ledger") or {}
    lines += [
        "## Ledger (bench/ledger_bench.py, indy-vdr)",
        "",
        "| nodes | write p50 / p95 ms | read p50 / p95 ms |",
        "| --- | --- | --- |",
    ]
    for key in ("1_node", "4_nodes"):
        d = led.get(key)
        if d:
            lines.append(
                f"| {key} | {d['write_nym']['p50_ms']} / {d['write_nym']['p95_ms']} | "
                f"{d['read_get_nym']['p50_ms']} / {d['read_get_nym']['p95_ms']} |"
            )
    lines.append("")
    for hand_written in (ATTEMPTS, DEMO):
        if hand_written.exists():
            lines += [hand_written.read_text().rstrip(), ""]
    md_path.write_text("\n".join(lines))
    try:
        chart(r, png_path)
    except Exception as error:  # noqa: BLE001 - the tables matter more than the picture
        md_path.write_text(md_path.read_text() + f"\n(chart not drawn: {error})\n")


def chart(r: dict[str, Any], path: Path) -> None:
    from PIL import Image, ImageDraw

    panels = [
        ("iterations / min", "iterations_per_min"),
        ("issuance p50 ms", "issuance"),
        ("proof p50 ms", "proof"),
    ]
    groups = []
    for mode in ("plain", "revocable"):
        for level in _ours_levels(r, mode):
            groups.append((mode, level))
    if not groups:
        return
    w, h, pad = 1200, 360 * len(panels), 50
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    colors = {"stock": (120, 120, 120), "ours": (40, 110, 200)}
    for pi, (title, key) in enumerate(panels):
        top = pi * 360 + 30
        base = top + 270
        values = {}
        for mode, level in groups:
            for who in ("stock", "ours"):
                d = _get(r, who, mode, level)
                v = (
                    d.get(key)
                    if key == "iterations_per_min"
                    else _get(d, key, "p50_ms")
                    if d
                    else None
                )
                values[(mode, level, who)] = v or 0
        vmax = max(values.values()) or 1
        draw.text((pad, top - 22), title + "  (grey: stock ACA-Py, blue: ours)", fill="black")
        draw.line((pad, base, w - pad, base), fill="black")
        slot = (w - 2 * pad) / len(groups)
        for gi, (mode, level) in enumerate(groups):
            x0 = pad + gi * slot + slot * 0.15
            bw = slot * 0.35
            for wi, who in enumerate(("stock", "ours")):
                v = values[(mode, level, who)]
                bh = 250 * v / vmax
                x = x0 + wi * bw
                draw.rectangle((x, base - bh, x + bw - 4, base), fill=colors[who])
                draw.text((x, base - bh - 14), f"{v:.0f}", fill="black")
            draw.text((x0, base + 6), f"{mode} c={level}", fill="black")
    img.save(path)
