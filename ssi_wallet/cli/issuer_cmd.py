"""`ssi-wallet issuer ...`: an issuing agency's staff commands.

Examples:
  ssi-wallet issuer schema publish examples/credentials/income-statement.yaml
  ssi-wallet issuer creddef create IncomeStatement
  ssi-wallet issuer creddef create DebtSupportCertificate --revocable --registry-size 100
  ssi-wallet issuer invite --qr
  ssi-wallet issuer issue --connection 5f0c... --type IncomeStatement \\
      --attr month=2026-10 --attr "net_income_cents=1234.00 EUR" ...
  ssi-wallet issuer issue-batch examples/batches/income-october.csv --type IncomeStatement
  ssi-wallet issuer revoke 1c2d... --publish
  ssi-wallet issuer revoke --csv ended.csv
  ssi-wallet issuer publish-revocations
  ssi-wallet issuer credentials list

Every command takes --agency NAME; without it, the only issuer agency here is used.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit, err, notice, table

app = typer.Typer(help="Publish schemas, create credential definitions, invite and issue.")
schema_app = typer.Typer(help="Schemas on the ledger.")
creddef_app = typer.Typer(help="Credential definitions.")
credentials_app = typer.Typer(help="Credentials this agency issued.")
app.add_typer(schema_app, name="schema")
app.add_typer(creddef_app, name="creddef")
app.add_typer(credentials_app, name="credentials")

AgencyOpt = Annotated[
    str | None,
    typer.Option("--agency", help="The issuing agency (default: the only issuer agency)."),
]


def _issuer(agency: str | None):
    from ssi_wallet.agency.issuance import Issuer
    from ssi_wallet.agency.runtime import pick_agency

    config = pick_agency(agency, "issuer")
    return Issuer.open(config, timeout=120)


@schema_app.command("publish")
def schema_publish(
    file: Annotated[str, typer.Argument(help="A credential type file, or a type name.")],
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Publish a credential type's schema (reuses the one published before).

    Example: ssi-wallet issuer schema publish examples/credentials/income-statement.yaml
    """
    from ssi_wallet.agency.issuance import resolve_type

    with _issuer(agency) as issuer:
        doc = issuer.publish_schema(resolve_type(issuer.config, file))
    emit(
        doc,
        json_out=json_out,
        human=f"{'Reused' if doc['reused'] else 'Published'} schema [bold]{doc['schema_id']}[/]",
    )


@creddef_app.command("create")
def creddef_create(
    schema: Annotated[str, typer.Argument(help="Credential type name or file.")],
    revocable: Annotated[bool, typer.Option("--revocable", help="Support revocation.")] = False,
    registry_size: Annotated[
        int, typer.Option("--registry-size", help="Credentials per revocation registry.")
    ] = 100,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag", help="Definition tag (default: 'default', or 'revocable' with --revocable)."
        ),
    ] = None,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a credential definition once (reused for the same schema, tag, revocability).

    Example: ssi-wallet issuer creddef create DebtSupportCertificate --revocable
    """
    from ssi_wallet.agency.issuance import resolve_type

    with _issuer(agency) as issuer:
        ctype = resolve_type(issuer.config, schema)
        if not json_out:
            notice("[dim]creating the credential definition (key generation takes seconds)…[/]")
        doc = issuer.create_creddef(
            ctype, revocable=revocable, registry_size=registry_size, tag=tag
        )
    emit(
        doc,
        json_out=json_out,
        human=f"{'Reused' if doc['reused'] else 'Created'} credential definition "
        f"[bold]{doc['cred_def_id']}[/]" + (" (revocable)" if revocable else ""),
    )


@app.command("invite")
def invite(
    qr: Annotated[
        bool, typer.Option("--qr", help="Also draw the invitation as a QR code.")
    ] = False,
    label: Annotated[
        str | None, typer.Option("--label", help="Label shown to the citizen.")
    ] = None,
    multi_use: Annotated[
        bool, typer.Option("--multi-use", help="Usable by many citizens.")
    ] = False,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create an out-of-band invitation URL for a citizen's wallet.

    Example: ssi-wallet issuer invite --qr
    """
    with _issuer(agency) as issuer:
        doc = issuer.invite(label=label, multi_use=multi_use)
    if json_out:
        if qr:
            _draw_qr(doc["invitation_url"], sys.stderr)
        emit(doc, json_out=True)
        return

    def human(con) -> None:
        con.print(doc["invitation_url"], soft_wrap=True)
        if qr:
            con.file.flush()
            _draw_qr(doc["invitation_url"], sys.stdout)
        con.print(
            f"[dim]invitation {doc['invi_msg_id']}; the citizen runs: ssi-wallet connect URL[/]"
        )

    emit(doc, json_out=False, human=human)


def _draw_qr(url: str, stream) -> None:
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(url)
    code.make(fit=True)
    code.print_ascii(out=stream, invert=True)
    stream.flush()


@app.command("issue")
def issue(
    connection: Annotated[str, typer.Option("--connection", help="The agency's connection id.")],
    type_: Annotated[str, typer.Option("--type", help="Credential type name or file.")],
    attr: Annotated[
        list[str],
        typer.Option(
            "--attr", help="NAME=VALUE, once per attribute (1500.00 EUR, 2026-10-31 are converted)."
        ),
    ],
    cred_def: Annotated[
        str | None, typer.Option("--cred-def", help="Definition to use when the type has several.")
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once offered.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the holder.")] = 300,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Offer one credential; waits until the holder has stored it.

    Example: ssi-wallet issuer issue --connection 5f0c... --type IncomeStatement --attr ...
    """
    from ssi_wallet.agency.issuance import parse_attrs, resolve_type

    values = parse_attrs(attr)
    with _issuer(agency) as issuer:
        ctype = resolve_type(issuer.config, type_)
        if not no_wait and not json_out:
            notice("[dim]offered; waiting for the citizen to accept…[/]")
        doc = issuer.issue(
            connection, ctype, values, cred_def_id=cred_def, wait=not no_wait, timeout=timeout
        )
    emit(
        doc,
        json_out=json_out,
        human=(
            f"Issued {doc['type']} [bold]{doc['cred_ex_id']}[/] ({doc['state']}, "
            f"{doc['seconds']} s)"
        )
        if doc["issued"]
        else f"Offered {doc['type']} [bold]{doc['cred_ex_id']}[/] ({doc['state']})",
    )


@app.command("issue-batch")
def issue_batch(
    file: Annotated[Path, typer.Argument(help="CSV: connection_id, [row_id,] attributes.")],
    type_: Annotated[
        str | None,
        typer.Option("--type", help="Credential type (default: the agency's only type)."),
    ] = None,
    cred_def: Annotated[str | None, typer.Option("--cred-def")] = None,
    concurrency: Annotated[int, typer.Option(help="Offers in flight at once.")] = 6,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Do not wait for holders.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for holders.")] = 300,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Where to write the per-row "
            "report (.json or .csv; default: in the "
            "agency's reports/).",
        ),
    ] = None,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Issue one credential per CSV row; idempotent (a re-run issues nothing twice).

    Example: ssi-wallet issuer issue-batch examples/batches/income-october.csv
    """
    from ssi_wallet.agency.batch import run_batch, write_report
    from ssi_wallet.agency.credential_types import agency_credential_types
    from ssi_wallet.agency.issuance import default_report_path, resolve_type
    from ssi_wallet.errors import UsageError

    with _issuer(agency) as issuer:
        if type_:
            ctype = resolve_type(issuer.config, type_)
        else:
            types = agency_credential_types(issuer.config)
            if len(types) != 1:
                raise UsageError("name the credential type with --type")
            ctype = types[0]
        with _Bar(enabled=not json_out and err().is_terminal) as bar:
            result = run_batch(
                issuer,
                ctype,
                file,
                cred_def_id=cred_def,
                concurrency=concurrency,
                wait=not no_wait,
                timeout=timeout,
                progress=bar.update,
            )
        path = write_report(result, report or default_report_path(issuer.config, file))
    doc = result.to_json()
    doc["report"] = str(path)

    def human(con) -> None:
        rows = [
            (
                r.line,
                r.status,
                r.connection_id[:12],
                r.cred_ex_id or "",
                r.state or "",
                r.error or "",
            )
            for r in result.rows
            if r.status != "skipped" or len(result.rows) <= 60
        ]
        con.print(
            table(
                f"{result.type} batch",
                ["line", "result", "connection", "exchange", "state", "problem"],
                rows,
            )
        )
        counts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts().items()))
        con.print(f"{len(result.rows)} rows: {counts}; {doc['seconds']} s; report {path}")

    emit(doc, json_out=json_out, human=human)


class _Bar:
    """A rich progress bar on stderr (offers sent, then credentials issued)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err(),
                transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def update(self, phase: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        label = {"send": "offers sent", "wait": "accepted by holders"}.get(phase, phase)
        if phase not in self._tasks:
            self._tasks[phase] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[phase], completed=done, total=total)


@app.command("revoke")
def revoke(
    cred_ex_id: Annotated[str | None, typer.Argument(help="The credential exchange id.")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="CSV with a cred_ex_id or row_id column: revoke each."),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish", help="Publish to the ledger now (else pending until publish-revocations)."
        ),
    ] = False,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Revoke credentials (pending, or published with --publish).

    Example: ssi-wallet issuer revoke 1c2d... --publish
    """
    from ssi_wallet.errors import SsiWalletError, UsageError

    if (cred_ex_id is None) == (csv_file is None):
        raise UsageError("give one credential exchange id or --csv FILE")
    with _issuer(agency) as issuer:
        if cred_ex_id:
            doc = issuer.revoke(cred_ex_id, publish=publish)
            emit(
                doc,
                json_out=json_out,
                human=f"Credential {cred_ex_id}: {doc['revocation']}"
                + ("" if doc["changed"] else " (already)"),
            )
            return
        ids = _ids_from_csv(issuer, csv_file)
        results = []
        for line, ident, problem in ids:
            if problem:
                results.append({"line": line, "cred_ex_id": ident, "error": problem})
                continue
            try:
                results.append({"line": line, **issuer.revoke(ident, publish=False)})
            except SsiWalletError as error:
                results.append({"line": line, "cred_ex_id": ident, "error": str(error)})
        if publish and any(r.get("changed") for r in results):
            issuer.publish_revocations()
            for r in results:
                if r.get("revocation") == "pending":
                    r["revocation"] = "revoked"
    doc = {"results": results, "published": publish}
    emit(
        doc,
        json_out=json_out,
        human=lambda con: con.print(
            table(
                "Revocations",
                ["line", "exchange", "result"],
                [(r["line"], r["cred_ex_id"], r.get("error") or r["revocation"]) for r in results],
            )
        ),
    )


def _ids_from_csv(issuer, path: Path) -> list[tuple[int, str, str | None]]:
    import csv

    from ssi_wallet.errors import InvalidInputError, NotFoundError

    if not path.is_file():
        raise NotFoundError(f"no CSV file {path}")
    out = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        if "cred_ex_id" not in columns and "row_id" not in columns:
            raise InvalidInputError(f"{path}: line 1: needs a cred_ex_id or row_id column")
        for record in reader:
            ident = (record.get("cred_ex_id") or "").strip()
            if not ident and (record.get("row_id") or "").strip():
                row_id = record["row_id"].strip()
                matches = [
                    r
                    for r in issuer.store.list()
                    if r.row_key and r.row_key.endswith(f"/id:{row_id}")
                ]
                if len(matches) != 1 or not matches[0].cred_ex_id:
                    out.append((reader.line_num, row_id, "no credential issued for this row_id"))
                    continue
                ident = matches[0].cred_ex_id
            if not ident:
                out.append((reader.line_num, "", "empty row"))
                continue
            out.append((reader.line_num, ident, None))
    return out


@app.command("publish-revocations")
def publish_revocations(agency: AgencyOpt = None, json_out: JsonOpt = False) -> None:
    """Publish every pending revocation to the ledger.

    Example: ssi-wallet issuer publish-revocations
    """
    with _issuer(agency) as issuer:
        doc = issuer.publish_revocations()
    emit(doc, json_out=json_out, human=f"Published {len(doc['published'])} revocation(s).")


@credentials_app.command("list")
def credentials_list(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Do not ask the agent for current states.")
    ] = False,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the credentials this agency offered or issued, with state and revocation ids.

    Example: ssi-wallet issuer credentials list --json
    """
    with _issuer(agency) as issuer:
        rows = issuer.credentials(refresh=not no_refresh, state=state)
    docs = [r.to_json() for r in rows]
    emit(
        docs,
        json_out=json_out,
        human=lambda con: (
            con.print(
                table(
                    "Issued credentials",
                    ["exchange", "type", "connection", "state", "revocation", "rev id", "created"],
                    [
                        (
                            r.cred_ex_id or "",
                            r.type_name,
                            r.connection_id[:12],
                            r.state,
                            r.revocation or "",
                            f"{r.cred_rev_id}" if r.cred_rev_id else "",
                            r.created_at,
                        )
                        for r in rows
                    ],
                )
            )
            if rows
            else con.print("No credentials issued yet.")
        ),
    )


connections_app = typer.Typer(help="The agency's connections to citizens.")
app.add_typer(connections_app, name="connections")


@connections_app.command("list")
def connections_list(
    invitation: Annotated[
        str | None,
        typer.Option(
            "--invitation", help="Only the connection made from this invitation (invi_msg_id)."
        ),
    ] = None,
    agency: AgencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the agency's connections (the ids `issue` and batch files use).

    Example: ssi-wallet issuer connections list --invitation 94a3...
    """
    with _issuer(agency) as issuer:
        found = issuer.connections(invitation_msg_id=invitation)
    emit(
        found,
        json_out=json_out,
        human=lambda con: (
            con.print(
                table(
                    "Connections",
                    ["connection", "state", "their label", "invitation", "created"],
                    [
                        (
                            c["connection_id"],
                            c["state"],
                            c.get("their_label") or "",
                            c.get("invitation_msg_id") or "",
                            c.get("created_at") or "",
                        )
                        for c in found
                    ],
                )
            )
            if found
            else con.print("No connections.")
        ),
    )
