"""Verifier policies: what an agency asks a citizen to prove, whom it trusts, what follows.

A policy is a YAML file (format in `docs/policies.md`, examples in `examples/policies/`).
This module parses and checks it (every problem is one line, with the YAML line where
known), builds the AnonCreds (indy) proof request at request time (dated figures, `today`,
freshness), and checks a received presentation against the policy and the request we
sent. It never talks to an agent and never writes anything.

    policy = load_policy(Path("examples/policies/income-supplement.yaml"))
    built = build_request(policy, agency, as_of=date(2026, 10, 1))
    facts = check_presentation(policy, agency, sent=built.request, record=acapy_record)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.encoding import (
    PREDICATE_TYPES,
    Kind,
    date_to_int,
    kind_of,
    parse_date,
    parse_operand,
    predicate_words,
)
from ssi_wallet.errors import InvalidInputError, NotFoundError, SsiWalletError

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig

OUTCOMES = ("verified", "not_verified", "declined")
ACTION_KINDS = ("issue", "message", "webhook")
WORKFLOWS = ("income_supplement", "asbestos_contribution", "emergency_brake", "none")
TOP_KEYS = {"name", "version", "description", "credential", "reveal", "then_reveal", "prove",
            "trusted_issuers", "non_revoked", "issued_within", "same_credential",
            "workflow", "actions", "request_on_connect"}
ISSUER_KEYS = {"did", "issuer_did", "cred_def_id", "schema_id", "schema_name",
               "schema_version", "schema_issuer_did", "from_setting"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ATTR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PREDICATE_RE = re.compile(
    r"^\s*(?P<attr>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>[<>=!≤≥≠]+)\s*(?P<operand>.+?)\s*$")
_FIGURE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_TODAY_RE = re.compile(r"^today(\s*[+-]\s*\d+\s*d(ays?)?)?$", re.IGNORECASE)
_WITHIN_RE = re.compile(r"^\s*(\d{1,5})\s*(d|days?)?\s*$", re.IGNORECASE)
_MONEY_MARK = re.compile(r"(EUR|€)", re.IGNORECASE)
_OPERATOR_ALIASES = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Predicate:
    """`net_income < social_minimum`, as written, parsed."""

    attribute: str          # as written (e.g. net_income)
    p_type: str             # one of < <= > >=
    operand: str            # as written (a figure name, `today-45d`, `1500.00 EUR`, 42)
    text: str               # the whole line as written
    operand_kind: str       # "figure", "today", "money", "date", "integer"


@dataclass(frozen=True)
class Action:
    """One thing to do after a decision: issue a credential, send a message, call a URL."""

    kind: str                               # issue | message | webhook
    spec: dict[str, Any]
    when: tuple[str, ...] = ()              # decision outcomes it applies to; () = all

    def applies(self, decision_outcome: str) -> bool:
        return not self.when or decision_outcome in self.when

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "when": list(self.when), **self.spec}


@dataclass(frozen=True)
class Policy:
    name: str
    path: Path | None
    sha256: str
    description: dict[str, str]
    credential: str | None                   # schema name the proof must come from
    reveal: tuple[str, ...]                  # as written
    then_reveal: tuple[str, ...]             # revealed in a second request, after the first
    predicates: tuple[Predicate, ...]
    trusted_issuers: tuple[dict[str, str], ...]
    non_revoked: bool = True
    issued_within_days: int | None = None
    freshness_attribute: str = "issue_date"
    same_credential: bool = True
    workflow: str = "none"
    workflow_options: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, tuple[Action, ...]] = field(default_factory=dict)
    request_on_connect: bool = False
    version: str = "1.0"

    @property
    def figures(self) -> tuple[str, ...]:
        return tuple(p.operand for p in self.predicates if p.operand_kind == "figure")

    def settings_used(self) -> tuple[str, ...]:
        return tuple(t["from_setting"] for t in self.trusted_issuers if "from_setting" in t)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "sha256": self.sha256,
            "description": self.description,
            "credential": self.credential,
            "reveal": list(self.reveal),
            "then_reveal": list(self.then_reveal),
            "prove": [p.text for p in self.predicates],
            "issued_within_days": self.issued_within_days,
            "trusted_issuers": [dict(t) for t in self.trusted_issuers],
            "non_revoked": self.non_revoked,
            "same_credential": self.same_credential,
            "workflow": self.workflow,
            "workflow_options": self.workflow_options,
            "actions": {k: [a.to_json() for a in v] for k, v in self.actions.items()},
            "request_on_connect": self.request_on_connect,
        }


class PolicyError(InvalidInputError):
    """A policy file is wrong; the message is one line naming file and (YAML) line."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        one_line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        super().__init__(one_line, **kwargs)


# ---------------------------------------------------------------- loading


def load_policy(path: Path) -> Policy:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no policy file {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot read ({type(error).__name__})") from None
    return parse_policy_text(text, path)


def parse_policy_text(text: str, path: Path | None = None) -> Policy:
    """Parse a policy document. Raises PolicyError (one line) and nothing else.

    Parsed once per text: every request sent and every exchange decided reads its
    policy again (YAML, twice over: 3-6 ms each time), and a Policy is immutable."""
    return _parse_once(text, path)


@functools.lru_cache(maxsize=64)
def _parse_once(text: str, path: Path | None) -> Policy:
    where = str(path) if path else "<policy>"
    try:
        return _parse(text, path, where)
    except PolicyError:
        raise
    except SsiWalletError as error:  # e.g. encoding errors from operands
        raise PolicyError(f"{where}: {error}") from None
    except RecursionError:
        raise PolicyError(f"{where}: document nested too deeply") from None


def _parse(text: str, path: Path | None, where: str) -> Policy:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError(f"{where}: not valid YAML ({_yaml_where(error)})") from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. impossible timestamps
        raise PolicyError(f"{where}: not valid YAML ({type(error).__name__}: "
                          f"{str(error)[:80]})") from None
    lines = _line_map(node)

    def fail(at: tuple[Any, ...], message: str) -> PolicyError:
        line = _nearest_line(lines, at)
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in at)
        loc = loc.replace(".[", "[")
        prefix = f"{where}: line {line}: " if line else f"{where}: "
        return PolicyError(prefix + (f"{loc}: " if loc else "") + message)

    if not isinstance(doc, dict):
        raise fail((), "expected a mapping at the top (name:, prove:, ...)")
    unknown = sorted(str(k) for k in doc if k not in TOP_KEYS)
    if unknown:
        raise fail((unknown[0],), f"unknown key(s): {', '.join(unknown)} "
                                  f"(known: {', '.join(sorted(TOP_KEYS))})")
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise fail(("name",), "name must be lowercase letters, digits, - and _ (at most 64)")
    description = _description(doc.get("description"), fail)
    credential = doc.get("credential")
    if credential is not None and (not isinstance(credential, str) or not credential.strip()):
        raise fail(("credential",), "credential must be a schema name, e.g. IncomeStatement")

    reveal = _names(doc, "reveal", fail)
    then_reveal = _names(doc, "then_reveal", fail)

    prove_doc = doc.get("prove") or []
    if not isinstance(prove_doc, list):
        raise fail(("prove",), "prove must be a list like ['net_income < social_minimum']")
    predicates = [_predicate(item, ("prove", i), fail) for i, item in enumerate(prove_doc)]
    proven = {_base(p.attribute) for p in predicates}
    for i, item in enumerate(reveal):
        if _base(item) in proven:
            raise fail(("reveal", i), f"{item} is both revealed and in a predicate: AnonCreds "
                       "refuses that in one proof; reveal it after the proof with then_reveal:")
    for i, item in enumerate(then_reveal):
        if item in reveal:
            raise fail(("then_reveal", i), f"{item} is already in reveal:")
    if then_reveal and not predicates:
        raise fail(("then_reveal",), "then_reveal follows a proof of predicates: add prove:")

    within, fresh_attr = _issued_within(doc.get("issued_within"), fail)
    if not reveal and not predicates and within is None:
        raise fail((), "the policy asks for nothing: add reveal:, prove: or issued_within:")

    trusted = _trusted(doc.get("trusted_issuers"), fail)
    non_revoked = _bool(doc, "non_revoked", True, fail)
    same_credential = _bool(doc, "same_credential", True, fail)
    request_on_connect = _bool(doc, "request_on_connect", False, fail)
    workflow, options = _workflow(doc.get("workflow"), fail)
    actions = _actions(doc.get("actions"), fail)
    version = doc.get("version", "1.0")
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        raise fail(("version",), "version must be text like 1.0")
    return Policy(
        name=name,
        path=Path(path).resolve() if path else None,
        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        description=description,
        credential=credential.strip() if isinstance(credential, str) else None,
        reveal=tuple(reveal),
        then_reveal=tuple(then_reveal),
        predicates=tuple(predicates),
        trusted_issuers=tuple(trusted),
        non_revoked=non_revoked,
        issued_within_days=within,
        freshness_attribute=fresh_attr,
        same_credential=same_credential,
        workflow=workflow,
        workflow_options=options,
        actions=actions,
        request_on_connect=request_on_connect,
        version=str(version),
    )


def _names(doc: dict, key: str, fail) -> list[str]:
    value = doc.get(key) or []
    if not isinstance(value, list):
        raise fail((key,), f"{key} must be a list of attribute names")
    names: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _ATTR_RE.match(item):
            raise fail((key, i), f"not an attribute name: {item!r}")
        if item in names:
            raise fail((key, i), f"{item} is listed twice")
        names.append(item)
    return names


def _base(name: str) -> str:
    return name[:-len("_cents")] if name.endswith("_cents") else name


def _description(value: Any, fail) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise fail(("description",), "description must map languages (en, nl) to text")
    return dict(value)


def _bool(doc: dict, key: str, default: bool, fail) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise fail((key,), f"{key} must be true or false")
    return value


def _predicate(item: Any, at: tuple[Any, ...], fail) -> Predicate:
    if not isinstance(item, str):
        raise fail(at, f"write a predicate as text like 'net_income < 1500.00 EUR', "
                       f"not {type(item).__name__}")
    match = _PREDICATE_RE.match(item)
    if not match:
        raise fail(at, f"cannot read {item!r}: write ATTRIBUTE OPERATOR VALUE, "
                       "e.g. 'valid_until >= today'")
    attr, op, operand = match.group("attr"), match.group("op"), match.group("operand")
    op = _OPERATOR_ALIASES.get(op, op)
    if op not in PREDICATE_TYPES:
        raise fail(at, f"unknown operator {op!r} in {item!r} (AnonCreds predicates are "
                       f"{', '.join(PREDICATE_TYPES)}; to require a value, reveal it)")
    operand = operand.strip()
    if _TODAY_RE.match(operand):
        kind = "today"
        parse_date(operand)  # checks the form
    elif _FIGURE_RE.match(operand):
        kind = "figure"
    elif re.fullmatch(r"-?\d+", operand) and kind_of(attr) not in (Kind.DATE, Kind.MONTH):
        kind = "integer"
    elif _MONEY_MARK.search(operand):
        kind = "money"
        try:
            parse_operand(_money_name(attr), operand)
        except SsiWalletError as error:
            raise fail(at, str(error)) from None
    elif kind_of(attr) in (Kind.DATE, Kind.MONTH) or re.fullmatch(r"\d{4}-\d{2}(-\d{2})?",
                                                                    operand):
        kind = "date"
        try:
            parse_operand(attr, operand)
        except SsiWalletError as error:
            raise fail(at, str(error)) from None
    else:
        raise fail(at, f"cannot read the value {operand!r}: write a figure name, today, "
                       "today-45d, an amount like 1500.00 EUR, a date or a whole number")
    return Predicate(attr, op, operand, item.strip(), kind)


def _issued_within(value: Any, fail) -> tuple[int | None, str]:
    if value is None:
        return None, "issue_date"
    attribute = "issue_date"
    days: Any = value
    if isinstance(value, dict):
        unknown = set(value) - {"days", "attribute"}
        if unknown:
            raise fail(("issued_within",),
                       f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
        days = value.get("days")
        attribute = value.get("attribute", "issue_date")
        if not isinstance(attribute, str) or not _ATTR_RE.match(attribute):
            raise fail(("issued_within", "attribute"), "attribute must be an attribute name")
    if isinstance(days, bool):
        raise fail(("issued_within",), "write e.g. '45 days'")
    if isinstance(days, int):
        number = days
    elif isinstance(days, str) and (match := _WITHIN_RE.match(days)):
        number = int(match.group(1))
    else:
        raise fail(("issued_within",), f"write e.g. '45 days', not {days!r}")
    if not 0 <= number <= 36600:
        raise fail(("issued_within",), "days must be between 0 and 36600")
    return number, attribute


def _trusted(value: Any, fail) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise fail(("trusted_issuers",),
                   "trusted_issuers is required: a list of {did: ...}, {cred_def_id: ...}, "
                   "{schema_name: ..., issuer_did: ...} or {from_setting: NAME}")
    entries = []
    for i, entry in enumerate(value):
        if isinstance(entry, str):
            entry = {"cred_def_id": entry} if ":3:CL:" in entry else {"did": entry}
        if not isinstance(entry, dict) or not entry:
            raise fail(("trusted_issuers", i), "each trusted issuer is a mapping")
        unknown = sorted(str(k) for k in entry if k not in ISSUER_KEYS)
        if unknown:
            raise fail(("trusted_issuers", i), f"unknown key(s): {', '.join(unknown)} "
                                               f"(known: {', '.join(sorted(ISSUER_KEYS))})")
        clean = {}
        for key, val in entry.items():
            if not isinstance(val, str | int) or isinstance(val, bool) or not str(val).strip():
                raise fail(("trusted_issuers", i, key), "must be text")
            clean[str(key)] = str(val).strip()
        if "did" in clean and "issuer_did" in clean:
            raise fail(("trusted_issuers", i), "did and issuer_did mean the same: use one")
        if "did" in clean:
            clean["issuer_did"] = clean.pop("did")
        if "from_setting" in clean and "issuer_did" in clean:
            raise fail(("trusted_issuers", i), "from_setting already names the issuer DIDs")
        if set(clean) <= {"schema_name", "schema_version"}:
            raise fail(("trusted_issuers", i), "a schema name alone trusts anyone who "
                       "publishes such a schema: add issuer_did or schema_issuer_did")
        entries.append(clean)
    return entries


def _workflow(value: Any, fail) -> tuple[str, dict[str, Any]]:
    if value is None:
        return "none", {}
    options: dict[str, Any] = {}
    if isinstance(value, dict):
        options = {str(k): v for k, v in value.items() if k != "name"}
        value = value.get("name")
    if not isinstance(value, str) or value.replace("-", "_") not in WORKFLOWS:
        raise fail(("workflow",), f"unknown workflow {value!r} (known: {', '.join(WORKFLOWS)})")
    name = value.replace("-", "_")
    from ssi_wallet.agency.workflows import check_options

    problem = check_options(name, options)
    if problem:
        raise fail(("workflow",), problem)
    return name, options


def _actions(value: Any, fail) -> dict[str, tuple[Action, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(("actions",), "actions must map verified/not_verified/declined to lists")
    result: dict[str, tuple[Action, ...]] = {}
    for outcome, items in value.items():
        if outcome not in OUTCOMES:
            raise fail(("actions", outcome), f"unknown outcome {outcome!r} "
                                             f"(known: {', '.join(OUTCOMES)})")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise fail(("actions", outcome), "must be a list of actions")
        parsed = []
        for i, item in enumerate(items):
            parsed.append(_action(item, ("actions", outcome, i), fail))
        result[outcome] = tuple(parsed)
    return result


def _action(item: Any, at: tuple[Any, ...], fail) -> Action:
    if not isinstance(item, dict):
        raise fail(at, "an action is a mapping like {message: 'text'}")
    kinds = [k for k in item if k in ACTION_KINDS]
    unknown = sorted(str(k) for k in item if k not in ACTION_KINDS and k != "when")
    if unknown:
        raise fail(at, f"unknown action key(s): {', '.join(unknown)} "
                       f"(actions: {', '.join(ACTION_KINDS)}; plus when:)")
    if len(kinds) != 1:
        raise fail(at, f"each action does exactly one of {', '.join(ACTION_KINDS)}")
    kind = kinds[0]
    when = item.get("when", [])
    if isinstance(when, str):
        when = [when]
    if not isinstance(when, list) or not all(isinstance(w, str) for w in when):
        raise fail(at + ("when",), "when must be a decision outcome or a list of them")
    body = item[kind]
    if kind == "message":
        if not isinstance(body, str) or not body.strip():
            raise fail(at + (kind,), "message must be text")
        spec = {"text": body}
    elif kind == "webhook":
        if isinstance(body, str):
            body = {"url": body}
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise fail(at + (kind,), "webhook needs a url")
        if set(body) - {"url"}:
            raise fail(at + (kind,), f"unknown key(s): {', '.join(sorted(set(body) - {'url'}))}")
        if not re.match(r"^https?://", body["url"]) and not body["url"].startswith("setting:"):
            raise fail(at + (kind,), "webhook url must be http(s)://... or setting:NAME")
        spec = {"url": body["url"]}
    else:  # issue
        if not isinstance(body, dict):
            raise fail(at + (kind,), "issue needs {type: SCHEMA_NAME, attributes: {...}}")
        extra = set(body) - {"type", "cred_def_id", "attributes"}
        if extra:
            raise fail(at + (kind,), f"unknown key(s): {', '.join(sorted(map(str, extra)))}")
        if not isinstance(body.get("type"), str) and not isinstance(body.get("cred_def_id"), str):
            raise fail(at + (kind,), "issue needs type: (schema name) or cred_def_id:")
        attrs = body.get("attributes")
        if not isinstance(attrs, dict) or not attrs or not all(
                isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
                for k, v in attrs.items()):
            raise fail(at + (kind, "attributes"), "attributes must map names to text templates")
        spec = {k: v for k, v in body.items() if k != "attributes"}
        spec["attributes"] = {k: str(v) for k, v in attrs.items()}
    for template in _templates(spec):
        problem = template_problem(template)
        if problem:
            raise fail(at + (kind,), problem)
    return Action(kind, spec, tuple(when))


def _templates(spec: dict[str, Any]) -> list[str]:
    found = []
    for value in spec.values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, str))
    return found


_TEMPLATE_RE = re.compile(r"\{([^{}]*)\}")


def template_problem(template: str) -> str | None:
    """Templates use {name} placeholders (decision fields); anything else is an error."""
    stripped = _TEMPLATE_RE.sub("", template.replace("{{", "").replace("}}", ""))
    if "{" in stripped or "}" in stripped:
        return f"unbalanced braces in {template!r} (write {{{{ for a literal brace)"
    for name in _TEMPLATE_RE.findall(template.replace("{{", "").replace("}}", "")):
        if not _ATTR_RE.match(name):
            return f"placeholder {{{name}}} is not a name"
    return None


def render_template(template: str, values: dict[str, Any]) -> str:
    """`"{amount} for {month_text}"` with the decision's fields; unknown names stay."""
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    out = _TEMPLATE_RE.sub(one, template.replace("{{", "\0").replace("}}", "\1"))
    return out.replace("\0", "{").replace("\1", "}")


# ---------------------------------------------------------------- agency-dependent checks


def check_against_agency(policy: Policy, agency: AgencyConfig) -> list[str]:
    """Problems that only the agency's configuration can reveal (figures, settings)."""
    problems = []
    for predicate in policy.predicates:
        if predicate.operand_kind == "figure" and predicate.operand not in agency.figures:
            known = ", ".join(sorted(agency.figures)) or "none"
            problems.append(f"{predicate.text!r}: unknown figure {predicate.operand!r} in "
                            f"agency {agency.name} (figures: {known})")
    for setting in policy.settings_used():
        value = agency.settings.get(setting)
        if value is not None and (not isinstance(value, list)
                                  or not all(isinstance(v, str) for v in value)):
            problems.append(f"trusted_issuers: settings.{setting} of agency {agency.name} "
                            "must be a list of DIDs or credential definition ids")
    from ssi_wallet.agency.workflows import check_agency

    problems += check_agency(policy, agency)
    return problems


def warnings_against_agency(policy: Policy, agency: AgencyConfig) -> list[str]:
    """What is not wrong but will stop requests until configured (e.g. no issuers yet)."""
    warnings = []
    for setting in policy.settings_used():
        if not agency.settings.get(setting):
            warnings.append(f"agency {agency.name} trusts no issuer yet: requests fail until "
                            f"settings.{setting} lists their DIDs")
    for actions in policy.actions.values():
        for action in actions:
            url = action.spec.get("url", "")
            if url.startswith("setting:") and not agency.settings.get(url[8:]):
                warnings.append(f"webhook {url}: agency {agency.name} has no settings."
                                f"{url[8:]}; the action is skipped")
    return list(dict.fromkeys(warnings))


def validate(policy: Policy, agency: AgencyConfig | None) -> None:
    if agency is not None:
        problems = check_against_agency(policy, agency)
        if problems:
            where = policy.path or policy.name
            raise PolicyError(f"{where}: {problems[0]}"
                              + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


# ---------------------------------------------------------------- building the request


@dataclass(frozen=True)
class ResolvedPredicate:
    referent: str
    attribute: str      # the credential attribute (e.g. net_income_cents)
    p_type: str
    p_value: int
    source: str         # the policy line, or "issued within N days"

    def words(self) -> str:
        return predicate_words(self.attribute, self.p_type, self.p_value)


@dataclass(frozen=True)
class BuiltRequest:
    """The proof request for one exchange and how its referents map to the policy."""

    request: dict[str, Any]                     # ACA-Py's presentation_request.indy
    reveal: tuple[str, ...]                     # credential attribute names revealed
    predicates: tuple[ResolvedPredicate, ...]
    as_of: dt.date
    restrictions: tuple[dict[str, str], ...]


REVEAL_REFERENT = "reveal"


def attribute_names(policy: Policy, agency: AgencyConfig | None) -> dict[str, str]:
    """Written name -> credential attribute: money comparisons map `x` to `x_cents`."""
    mapping: dict[str, str] = {}
    for predicate in policy.predicates:
        if _is_money(predicate, agency) and not predicate.attribute.endswith("_cents"):
            mapping[predicate.attribute] = _money_name(predicate.attribute)
    return mapping


def _is_money(predicate: Predicate, agency: AgencyConfig | None) -> bool:
    if predicate.operand_kind == "money":
        return True
    if predicate.operand_kind == "figure" and agency is not None:
        entries = agency.figures.get(predicate.operand) or ()
        return any(isinstance(e.value, str) and _MONEY_MARK.search(e.value) for e in entries)
    return False


def _money_name(attr: str) -> str:
    return attr if attr.endswith("_cents") else f"{attr}_cents"


def restrictions_for(policy: Policy, agency: AgencyConfig | None) -> list[dict[str, str]]:
    """The indy restrictions (OR of ANDs) for the policy's trusted issuers."""
    out: list[dict[str, str]] = []
    for entry in policy.trusted_issuers:
        base = {k: v for k, v in entry.items() if k != "from_setting"}
        if policy.credential and "schema_id" not in base and "cred_def_id" not in base:
            base.setdefault("schema_name", policy.credential)
        if "from_setting" in entry:
            setting = entry["from_setting"]
            values = agency.settings.get(setting) if agency is not None else None
            if not isinstance(values, list) or not values:
                raise NotFoundError(f"policy {policy.name}: agency has no issuers in "
                                    f"settings.{setting}")
            for value in values:
                key = "cred_def_id" if ":3:CL:" in str(value) else "issuer_did"
                out.append({**base, key: str(value)})
        else:
            out.append(base)
    return out


def request_restrictions(trusted: list[dict[str, str]]) -> list[dict[str, str]]:
    """The restrictions to put in the request for these trusted-issuer entries.

    ACA-Py 0.12.8's holder ANDs a request's restriction list when it looks for matching
    credentials (aries_cloudagent/indy/credx/holder.py, `{"$and": [exist] + restr}`)
    instead of OR-ing it as AnonCreds means it, so a request naming two trusted issuers
    would find no credential in any stock wallet. With several entries the request
    carries only what they all share (e.g. the schema name); the trusted-issuer list is
    then enforced when the proof is decided (`check_presentation`), as it always is.
    """
    if len(trusted) <= 1:
        return [dict(r) for r in trusted]
    common = dict(trusted[0])
    for other in trusted[1:]:
        common = {k: v for k, v in common.items() if other.get(k) == v}
    return [common] if common else []


def build_request(policy: Policy, agency: AgencyConfig | None, *,
                  as_of: dt.date | None = None, today: dt.date | None = None,
                  now: int | None = None, month: int | None = None) -> BuiltRequest:
    """The indy proof request for sending now.

    `as_of` is the date whose figures apply (default today; a request for a month uses
    its first day); `today` resolves `today`, `today-45d` and the freshness predicate;
    `month` (YYYYMM), when the policy reveals `month`, restricts the credential to it.
    """
    today = today or dt.date.today()
    as_of = as_of or today
    now = int(time.time()) if now is None else now
    names = attribute_names(policy, agency)
    restrictions = request_restrictions(restrictions_for(policy, agency))
    reveal = tuple(names.get(n, n) for n in policy.reveal)
    attr_restrictions = [dict(r) for r in restrictions]
    if month is not None and "month" in reveal:
        attr_restrictions = [{**r, "attr::month::value": str(month)}
                             for r in attr_restrictions or [{}]]
    predicates: list[ResolvedPredicate] = []
    for index, predicate in enumerate(policy.predicates):
        attribute = names.get(predicate.attribute, predicate.attribute)
        value = _operand_value(predicate, attribute, agency, as_of, today)
        predicates.append(ResolvedPredicate(f"p{index}_{attribute}", attribute,
                                            predicate.p_type, value, predicate.text))
    if policy.issued_within_days is not None:
        since = today - dt.timedelta(days=policy.issued_within_days)
        predicates.append(ResolvedPredicate(
            f"fresh_{policy.freshness_attribute}", policy.freshness_attribute, ">=",
            date_to_int(since), f"issued within {policy.issued_within_days} days"))
    request: dict[str, Any] = {
        "name": policy.name,
        "version": policy.version,
        "nonce": str(secrets.randbits(80)),
        "requested_attributes": {},
        "requested_predicates": {},
    }
    if reveal:
        request["requested_attributes"][REVEAL_REFERENT] = {
            "names": list(reveal), "restrictions": attr_restrictions}
    # The predicates too are pinned to the month's credential: a wallet choosing per item
    # could otherwise prove the predicate with another month's statement.
    pred_restrictions = attr_restrictions if month is not None and "month" in reveal \
        else restrictions
    for p in predicates:
        request["requested_predicates"][p.referent] = {
            "name": p.attribute, "p_type": p.p_type, "p_value": p.p_value,
            "restrictions": [dict(r) for r in pred_restrictions]}
    if policy.non_revoked:
        request["non_revoked"] = {"from": now, "to": now}
    return BuiltRequest(request, reveal, tuple(predicates), as_of, tuple(restrictions))


def _operand_value(predicate: Predicate, attribute: str, agency: AgencyConfig | None,
                   as_of: dt.date, today: dt.date) -> int:
    kind = predicate.operand_kind
    if kind == "today":
        text = predicate.operand.lower().replace(" ", "")
        delta = 0
        if len(text) > 5:
            sign = -1 if text[5] == "-" else 1
            delta = sign * int(re.sub(r"\D", "", text[6:]))
        day = today + dt.timedelta(days=delta)
        if kind_of(attribute) is Kind.MONTH:
            return day.year * 100 + day.month
        return date_to_int(day)
    if kind == "figure":
        if agency is None:
            raise NotFoundError(f"policy {predicate.text!r}: figure {predicate.operand!r} "
                                "needs the agency configuration")
        value = agency.figure(predicate.operand, as_of)
        if isinstance(value, dt.date):
            return date_to_int(value)
        try:
            return parse_operand(attribute, value)
        except SsiWalletError as error:
            raise InvalidInputError(f"figure {predicate.operand} ({value!r}): {error}") from None
    return parse_operand(attribute, predicate.operand)


def build_followup(policy: Policy, agency: AgencyConfig | None, *, first_revealed: dict[str, str],
                   cred_def_id: str, now: int | None = None) -> BuiltRequest:
    """The second request of a two-step policy: reveal `then_reveal` from the credential
    the first proof used (its credential definition and the values it revealed, e.g. the
    month), sent only after that proof was verified."""
    now = int(time.time()) if now is None else now
    names = attribute_names(policy, agency)
    # The first step's values are revealed again: an `attr::NAME::value` restriction only
    # holds (for ACA-Py's verifier) on a revealed attribute.
    again = tuple(n for n in sorted(first_revealed) if n not in policy.then_reveal)
    reveal = again + tuple(names.get(n, n) for n in policy.then_reveal)
    restriction = {"cred_def_id": cred_def_id}
    restriction.update({f"attr::{k}::value": str(v) for k, v in sorted(first_revealed.items())})
    request: dict[str, Any] = {
        "name": f"{policy.name} (then)",
        "version": policy.version,
        "nonce": str(secrets.randbits(80)),
        "requested_attributes": {REVEAL_REFERENT: {"names": list(reveal),
                                                   "restrictions": [restriction]}},
        "requested_predicates": {},
    }
    if policy.non_revoked:
        request["non_revoked"] = {"from": now, "to": now}
    return BuiltRequest(request, reveal, (), dt.date.today(), (restriction,))


# ---------------------------------------------------------------- checking a presentation


@dataclass
class ProofFacts:
    """What a presentation established, judged against the policy and the sent request."""

    state: str
    verified: bool                          # ACA-Py said "true"
    accepted: bool                          # verified AND every policy check passed
    problems: list[str]
    revealed: dict[str, str]                # credential attribute -> raw value
    predicates: list[dict[str, Any]]        # proven: attribute, p_type, p_value, words
    issuers: list[str]                      # issuer DIDs of the credentials used
    cred_def_ids: list[str]
    schema_ids: list[str]

    @property
    def outcome(self) -> str:
        if self.state == "abandoned":
            return "declined"
        return "verified" if self.accepted else "not_verified"

    def learned(self) -> dict[str, Any]:
        """Exactly what the agency learned: revealed values and proven predicates."""
        return {"revealed": dict(self.revealed),
                "predicates": [dict(p) for p in self.predicates]}


def check_presentation(policy: Policy, agency: AgencyConfig | None, *,
                       sent: dict[str, Any], record: dict[str, Any],
                       connection_id: str | None = None) -> ProofFacts:
    """Judge ACA-Py's verifier record (`GET /present-proof-2.0/records/{id}`)."""
    state = str(record.get("state") or "")
    facts = ProofFacts(state, record.get("verified") == "true", False, [], {}, [], [], [], [])
    if state == "abandoned":
        facts.problems.append("the citizen declined (or the exchange was abandoned)")
        return facts
    if state != "done":
        facts.problems.append(f"the exchange is {state or 'in no state'}, not done")
        return facts
    if not facts.verified:
        facts.problems.append(f"the agent did not verify the proof (verified="
                              f"{record.get('verified')!r})")
    by_format = record.get("by_format") or {}
    received_request = ((by_format.get("pres_request") or {}).get("indy")) or {}
    proof = ((by_format.get("pres") or {}).get("indy")) or {}
    if connection_id is not None and record.get("connection_id") != connection_id:
        facts.problems.append("the proof came over another connection than the request")
    if not sent or received_request.get("nonce") != sent.get("nonce"):
        facts.problems.append("the proof answers a request we did not send (nonce differs)")
    else:
        for key in ("requested_attributes", "requested_predicates", "non_revoked"):
            if _comparable(key, received_request.get(key)) != _comparable(key, sent.get(key)):
                facts.problems.append(f"the request's {key} differ from what we sent")
    requested = proof.get("requested_proof") or {}
    identifiers = proof.get("identifiers") or []

    used_indexes: set[int] = set()

    def identifier(index: Any) -> dict[str, Any] | None:
        if isinstance(index, int) and 0 <= index < len(identifiers):
            used_indexes.add(index)
            return identifiers[index]
        return None

    # revealed attributes (a names group, or single names)
    for referent, spec in (sent.get("requested_attributes") or {}).items():
        names = spec.get("names") or ([spec["name"]] if spec.get("name") else [])
        group = (requested.get("revealed_attr_groups") or {}).get(referent)
        single = (requested.get("revealed_attrs") or {}).get(referent)
        if group:
            values = group.get("values") or {}
            ident = identifier(group.get("sub_proof_index"))
            for name in names:
                if name in values and "raw" in values[name]:
                    facts.revealed[name] = str(values[name]["raw"])
                else:
                    facts.problems.append(f"{name} was not revealed")
        elif single and len(names) == 1:
            ident = identifier(single.get("sub_proof_index"))
            facts.revealed[names[0]] = str(single.get("raw"))
        else:
            facts.problems.append(f"{', '.join(names)} not revealed")
            continue
        _check_identifier(ident, spec.get("restrictions") or [], policy, agency, facts)
    for referent, spec in (sent.get("requested_predicates") or {}).items():
        got = (requested.get("predicates") or {}).get(referent)
        if not got:
            facts.problems.append(f"predicate {spec.get('name')} {spec.get('p_type')} "
                                  f"{spec.get('p_value')} was not proven")
            continue
        ident = identifier(got.get("sub_proof_index"))
        _check_identifier(ident, spec.get("restrictions") or [], policy, agency, facts)
        facts.predicates.append({
            "attribute": spec["name"], "p_type": spec["p_type"], "p_value": spec["p_value"],
            "words": predicate_words(spec["name"], spec["p_type"], spec["p_value"])})
    if requested.get("self_attested_attrs"):
        facts.problems.append("self-attested values are not accepted")
    if policy.same_credential and len(used_indexes) > 1:
        facts.problems.append("the items come from different credentials; the policy wants "
                              "them from one")
    if policy.non_revoked:
        for index in used_indexes:
            ident = identifiers[index]
            if ident.get("rev_reg_id") and not ident.get("timestamp"):
                facts.problems.append("a revocable credential was presented without proof "
                                      "of non-revocation")
    for index in sorted(used_indexes):
        ident = identifiers[index]
        cred_def_id = str(ident.get("cred_def_id") or "")
        facts.cred_def_ids.append(cred_def_id)
        facts.schema_ids.append(str(ident.get("schema_id") or ""))
        facts.issuers.append(cred_def_id.split(":")[0] if cred_def_id else "")
    # de-duplicate problems, keep order
    facts.problems = list(dict.fromkeys(facts.problems))
    facts.accepted = facts.verified and not facts.problems
    return facts


def _comparable(key: str, value: Any) -> Any:
    """ACA-Py 0.12.8's verifier drops `attr::` keys from predicate restrictions in place
    (handler.py) before it stores the record: compare predicates without them."""
    if key != "requested_predicates" or not isinstance(value, dict):
        return value
    out = {}
    for referent, spec in value.items():
        if isinstance(spec, dict):
            spec = {**spec, "restrictions": [
                {k: v for k, v in r.items() if not str(k).startswith("attr::")}
                for r in spec.get("restrictions") or [] if isinstance(r, dict)]}
        out[referent] = spec
    return out


def _check_identifier(ident: dict[str, Any] | None, sent_restrictions: list[dict[str, str]],
                      policy: Policy, agency: AgencyConfig | None, facts: ProofFacts) -> None:
    """The credential used must come from an issuer the policy trusts NOW (its current
    configuration), which the request's restrictions also demanded."""
    if ident is None:
        facts.problems.append("the proof does not say which credential it used")
        return
    cred_def_id = str(ident.get("cred_def_id") or "")
    schema_id = str(ident.get("schema_id") or "")
    criteria = _criteria(cred_def_id, schema_id)
    try:
        trusted_now = restrictions_for(policy, agency)
    except SsiWalletError as error:
        facts.problems.append(str(error))
        return
    plain_now = [{k: v for k, v in r.items() if not k.startswith("attr::")} for r in trusted_now]
    if not any(_satisfies(criteria, r) for r in plain_now):
        issuer = criteria.get("issuer_did") or "unknown"
        facts.problems.append(f"the credential's issuer {issuer} is not trusted by policy "
                              f"{policy.name}")
    plain_sent = [{k: v for k, v in r.items() if not k.startswith("attr::")}
                  for r in sent_restrictions]
    if plain_sent and not any(_satisfies(criteria, r) for r in plain_sent):
        facts.problems.append("the credential does not meet the request's restrictions")


def _criteria(cred_def_id: str, schema_id: str) -> dict[str, str]:
    """Restriction fields known from the identifiers (did:3:CL:seq:tag, did:2:name:ver)."""
    out = {"cred_def_id": cred_def_id, "schema_id": schema_id}
    parts = cred_def_id.split(":")
    if parts and parts[0]:
        out["issuer_did"] = parts[0]
    schema_parts = schema_id.split(":")
    if len(schema_parts) == 4:
        out["schema_issuer_did"], _, out["schema_name"], out["schema_version"] = schema_parts
    return out


def _satisfies(criteria: dict[str, str], restriction: dict[str, str]) -> bool:
    return all(criteria.get(k) == v for k, v in restriction.items())


# ---------------------------------------------------------------- YAML positions


def _line_map(node: Any) -> dict[tuple[Any, ...], int]:
    """Path (keys and indexes) -> 1-based line of each node in a composed YAML tree."""
    lines: dict[tuple[Any, ...], int] = {}
    seen: set[int] = set()

    def walk(n: Any, path: tuple[Any, ...], depth: int) -> None:
        if n is None or depth > 50 or id(n) in seen:
            return
        seen.add(id(n))
        lines[path] = n.start_mark.line + 1
        tag = type(n).__name__
        if tag == "MappingNode":
            for key_node, value_node in n.value:
                key = getattr(key_node, "value", None)
                if isinstance(key, str):
                    lines[path + (key,)] = key_node.start_mark.line + 1
                    walk(value_node, path + (key,), depth + 1)
                    lines[path + (key,)] = key_node.start_mark.line + 1
        elif tag == "SequenceNode":
            for i, item in enumerate(n.value):
                walk(item, path + (i,), depth + 1)

    walk(node, (), 0)
    return lines


def _nearest_line(lines: dict[tuple[Any, ...], int], at: tuple[Any, ...]) -> int | None:
    path = tuple(at)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _yaml_where(error: Any) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "syntax error"
    return f"{problem} at line {mark.line + 1}" if mark else str(problem).splitlines()[0]
