"""An agency's configuration: one YAML file per agency.

An agency (an employer, a municipality, the SVB, the CJIB) runs one stock ACA-Py agent
(or several on a shared PostgreSQL wallet) plus this project's controller. Its file
names its roles, ledger, ports, storage, credential types, policies and the dated policy
figures its workflows use. Figures are configuration, never code.

Files live in `$SSI_WALLET_HOME/agencies/<name>/agency.yaml` (created by
`ssi-wallet agency init NAME --from FILE`), next to the agency's private state.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssi_wallet.errors import InvalidInputError, NotFoundError

ROLES = ("issuer", "verifier")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class DatedFigure:
    """A policy figure valid from a date on (e.g. the social minimum from 1 Jan 2026)."""

    valid_from: dt.date
    value: Any


@dataclass(frozen=True)
class AgentSettings:
    admin_port: int | None = None
    inbound_host: str = "127.0.0.1"
    inbound_port: int | None = None
    endpoint: str | None = None
    wallet_storage: str = "sqlite"        # "sqlite" or "postgres://account@host:port"
    instances: int = 1                    # >1 needs postgres wallet storage


@dataclass(frozen=True)
class AgencyConfig:
    name: str
    label: str
    roles: tuple[str, ...]
    path: Path                            # the agency.yaml this came from
    ledger: str = "embedded"              # "embedded" or a genesis file path or URL
    agent: AgentSettings = field(default_factory=AgentSettings)
    case_store: str = "sqlite"            # "sqlite" or "postgresql://..."
    credential_types: tuple[Path, ...] = ()
    policies: tuple[Path, ...] = ()
    figures: dict[str, tuple[DatedFigure, ...]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The agency's private directory (agent wallet, case store, secrets)."""
        return self.path.parent

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def figure(self, name: str, on: dt.date) -> Any:
        """The value of dated figure `name` that applies on date `on`."""
        entries = self.figures.get(name)
        if not entries:
            raise NotFoundError(f"agency {self.name}: no figure {name!r} in {self.path}")
        applicable = [e for e in entries if e.valid_from <= on]
        if not applicable:
            raise NotFoundError(
                f"agency {self.name}: figure {name!r} has no value for {on.isoformat()}")
        return max(applicable, key=lambda e: e.valid_from).value


def load_agency_config(path: Path) -> AgencyConfig:
    """Read and check an agency file; every problem is one line naming the file."""
    path = Path(path)
    return parse_agency_config(read_agency_yaml(path), path)


def read_agency_yaml(path: Path) -> dict[str, Any]:
    """An agency file's mapping; a missing file, bad encoding, bad YAML or the wrong
    shape is one line naming the file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no agency file {path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{path}: not valid YAML ({_yaml_where(error)})") from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. impossible dates
        raise InvalidInputError(f"{path}: not valid YAML ({type(error).__name__}: "
                                f"{str(error)[:80]})") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{path}: expected a mapping at the top")
    return doc


def parse_agency_config(doc: dict[str, Any], path: Path) -> AgencyConfig:
    def fail(message: str) -> InvalidInputError:
        return InvalidInputError(f"{path}: {message}")

    unknown = set(doc) - {"name", "label", "roles", "ledger", "agent", "case_store",
                          "credential_types", "policies", "figures", "settings"}
    if unknown:
        raise fail(f"unknown key(s): {', '.join(sorted(unknown))}")
    name = doc.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise fail("name must be lowercase letters, digits and dashes (at most 40)")
    roles = doc.get("roles") or []
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        raise fail(f"roles must be a non-empty list of {', '.join(ROLES)}")
    agent_doc = doc.get("agent") or {}
    if not isinstance(agent_doc, dict):
        raise fail("agent must be a mapping")
    known = set(AgentSettings.__dataclass_fields__)
    unknown_agent = sorted(str(k) for k in agent_doc if k not in known)
    if unknown_agent:
        raise fail(f"agent: unknown key(s): {', '.join(unknown_agent)} "
                   f"(known: {', '.join(sorted(known))})")
    agent = AgentSettings(**agent_doc)
    for key in ("admin_port", "inbound_port"):
        port = getattr(agent, key)
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                                 or not 0 < port < 65536):
            raise fail(f"agent.{key} must be a port number (1-65535)")
    for key in ("inbound_host", "wallet_storage"):
        if not isinstance(getattr(agent, key), str):
            raise fail(f"agent.{key} must be text")
    if agent.endpoint is not None and not isinstance(agent.endpoint, str):
        raise fail("agent.endpoint must be a URL")
    if isinstance(agent.instances, bool) or not isinstance(agent.instances, int):
        raise fail("agent.instances must be a whole number")
    if agent.instances < 1:
        raise fail("agent.instances must be at least 1")
    if agent.instances > 1 and not str(agent.wallet_storage).startswith("postgres"):
        raise fail("agent.instances > 1 needs wallet_storage on PostgreSQL")
    return AgencyConfig(
        name=name,
        label=str(doc.get("label") or name),
        roles=tuple(roles),
        path=path.resolve(),
        ledger=str(doc.get("ledger") or "embedded"),
        agent=agent,
        case_store=str(doc.get("case_store") or "sqlite"),
        credential_types=_paths(doc.get("credential_types"), path, fail, "credential_types"),
        policies=_paths(doc.get("policies"), path, fail, "policies"),
        figures=_figures(doc.get("figures") or {}, fail),
        settings=_settings(doc.get("settings"), fail),
    )


def _settings(value: Any, fail) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise fail("settings must map names to values")
    return dict(value)


def _paths(value: Any, path: Path, fail, key: str) -> tuple[Path, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a list of file paths")
    return tuple((path.parent / v).resolve() for v in value)


def _figures(value: Any, fail) -> dict[str, tuple[DatedFigure, ...]]:
    if not isinstance(value, dict):
        raise fail("figures must map names to dated values")
    figures: dict[str, tuple[DatedFigure, ...]] = {}
    for name, entries in value.items():
        if not isinstance(entries, list) or not entries:
            raise fail(f"figures.{name} must be a list of {{from: DATE, value: ...}}")
        parsed = []
        for entry in entries:
            if not isinstance(entry, dict) or "from" not in entry or "value" not in entry:
                raise fail(f"figures.{name}: each entry needs from: and value:")
            when = entry["from"]
            if isinstance(when, str):
                try:
                    when = dt.date.fromisoformat(when)
                except ValueError:
                    raise fail(f"figures.{name}: {when!r} is not a date") from None
            if not isinstance(when, dt.date):
                raise fail(f"figures.{name}: from: must be a date")
            parsed.append(DatedFigure(when, entry["value"]))
        figures[str(name)] = tuple(sorted(parsed, key=lambda f: f.valid_from))
    return figures


def _yaml_where(error: Any) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "syntax error"
    return f"{problem} at line {mark.line + 1}" if mark else str(problem)
