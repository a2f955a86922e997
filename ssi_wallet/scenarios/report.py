"""What pilot staff take away: the summary on screen, and a Markdown or HTML report
(timeline, timings, outcomes and the disclosure matrix)."""

from __future__ import annotations

import html
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ssi_wallet.encoding import display
from ssi_wallet.scenarios.runner import RunReport, disclosure_matrix


def _learned_text(learned: dict[str, list[str]]) -> str:
    return ", ".join(f"{name} ({', '.join(display(name, v) for v in values)})"
                     for name, values in learned.items()) or "nothing"


def print_summary(console: Console, report: RunReport) -> None:
    runs = report.runs
    if report.prepare_seconds:
        console.print(f"[bold]Shared set-up[/] (ledger, agencies, credential definitions): "
                      f"{report.prepare_seconds:.1f} s")
    for run in runs:
        console.print(f"\n[bold]{run.name}[/]: {run.outcome()}")
        table = Table(header_style="bold")
        for column in ("step", "party", "time", "outcome"):
            table.add_column(column, overflow="fold")
        for step in run.steps:
            table.add_row(step.title, step.party, f"{step.seconds:.2f} s", step.outcome)
        table.add_row("[bold]total[/]", "", f"[bold]{run.seconds:.1f} s[/]", "")
        console.print(table)
    matrix = disclosure_matrix(runs)
    if matrix:
        table = Table(title="Disclosure matrix: what each agency learned",
                      title_justify="left", header_style="bold")
        for column in ("agency", "attributes it learned", "predicates proven to it"):
            table.add_column(column, overflow="fold")
        for row in matrix:
            table.add_row(row["agency"], _learned_text(row["learned"]),
                          "\n".join(p.split(";")[0] for p in row["predicates"]) or "none")
        console.print(table)
    console.print(f"[bold]All in all {report.seconds:.1f} s[/]")


def markdown(report: RunReport) -> str:
    runs = report.runs
    lines = ["# ssi-wallet pilot scenarios", "",
             f"Total time {report.seconds:.1f} s (shared set-up {report.prepare_seconds:.1f} s).",
             ""]
    for run in runs:
        lines += [f"## {run.name}", "", f"**Outcome:** {run.outcome()}  ",
                  f"**Time:** {run.seconds:.1f} s", "",
                  "| # | step | party | time (s) | outcome |", "|---|---|---|---|---|"]
        for index, step in enumerate(run.steps, 1):
            lines.append(f"| {index} | {_md(step.title)} | {step.party} | "
                         f"{step.seconds:.2f} | {_md(step.outcome)} |")
        lines.append("")
    lines += ["## Disclosure matrix", "",
              "| agency | attributes it learned | predicates proven to it |", "|---|---|---|"]
    for row in disclosure_matrix(runs):
        preds = "<br>".join(_md(p.split(";")[0]) for p in row["predicates"]) or "none"
        lines.append(f"| {row['agency']} | {_md(_learned_text(row['learned']))} | {preds} |")
    return "\n".join(lines) + "\n"


def html_report(report: RunReport) -> str:
    runs = report.runs

    def e(text: object) -> str:
        return html.escape(str(text))

    parts = ["<!doctype html><html lang='en'><meta charset='utf-8'>",
             "<title>ssi-wallet pilot scenarios</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:.3em .6em;text-align:left;vertical-align:top}</style>",
             "<h1>ssi-wallet pilot scenarios</h1>",
             f"<p>Total time {report.seconds:.1f} s (shared set-up "
             f"{report.prepare_seconds:.1f} s).</p>"]
    for run in runs:
        parts.append(f"<h2>{e(run.name)}</h2><p><b>Outcome:</b> {e(run.outcome())}<br>"
                     f"<b>Time:</b> {run.seconds:.1f} s</p>")
        parts.append("<table><tr><th>#</th><th>step</th><th>party</th><th>time (s)</th>"
                     "<th>outcome</th></tr>")
        for index, step in enumerate(run.steps, 1):
            parts.append(f"<tr><td>{index}</td><td>{e(step.title)}</td><td>{e(step.party)}"
                         f"</td><td>{step.seconds:.2f}</td><td>{e(step.outcome)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Disclosure matrix</h2><table><tr><th>agency</th>"
                 "<th>attributes it learned</th><th>predicates proven to it</th></tr>")
    for row in disclosure_matrix(runs):
        preds = "<br>".join(e(p.split(";")[0]) for p in row["predicates"]) or "none"
        parts.append(f"<tr><td>{e(row['agency'])}</td><td>{e(_learned_text(row['learned']))}"
                     f"</td><td>{preds}</td></tr>")
    parts.append("</table></html>")
    return "\n".join(parts) + "\n"


def write_report(path: Path, report: RunReport) -> Path:
    from ssi_wallet.files import atomic_write

    text = html_report(report) if path.suffix.lower() in (".html", ".htm") \
        else markdown(report)
    return atomic_write(path, text)


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
