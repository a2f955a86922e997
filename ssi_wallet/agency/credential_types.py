"""Credential type files (`examples/credentials/*.yaml`): a schema name, version and typed
attributes, and the checks an issuer applies before sending a value.

    name: IncomeStatement
    version: "1.0"
    attributes:
      month: {type: month, description: ...}
      net_income_cents: {type: money, description: ...}

Attribute types and what an issuer may type for them (the raw credential value is what
AnonCreds predicates compare, so every number is an integer):

    text     any non-empty text                          -> unchanged
    money    1500.00 EUR, €1,500.00, 1500,00 or cents    -> euro cents  ("150000")
    date     2026-10-31, 20261031, today, today-45d      -> YYYYMMDD    ("20261031")
    month    2026-10, 202610                             -> YYYYMM      ("202610")
    integer  -12, 42                                     -> unchanged
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssi_wallet.errors import InvalidInputError, NotFoundError, UsageError

TYPES = ("text", "money", "date", "month", "integer")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")
_ATTR_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_VERSION_RE = re.compile(r"^\d+(\.\d+){0,2}$")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = "text"
    description: str = ""


@dataclass(frozen=True)
class CredentialType:
    name: str
    version: str
    attributes: tuple[Attribute, ...]
    path: Path | None = None
    description: dict[str, str] = field(default_factory=dict)

    @property
    def attribute_names(self) -> list[str]:
        return [a.name for a in self.attributes]

    def encode(self, values: dict[str, Any]) -> dict[str, str]:
        """Check and encode `values` (what people typed): every attribute present, no
        extras, each value of its type. Raises InvalidInputError listing every problem."""
        problems = self.problems(values)
        if problems:
            raise InvalidInputError(f"{self.name}: " + "; ".join(problems))
        return {a.name: encode_value(a, values[a.name]) for a in self.attributes}

    def problems(self, values: dict[str, Any]) -> list[str]:
        """Every problem with `values`, as short phrases (empty when all is well)."""
        problems = []
        known = set(self.attribute_names)
        extra = sorted(set(values) - known)
        if extra:
            problems.append(f"unknown attribute(s) {', '.join(extra)}")
        for attribute in self.attributes:
            value = values.get(attribute.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.append(f"{attribute.name} is missing")
                continue
            try:
                encode_value(attribute, value)
            except InvalidInputError as error:
                problems.append(f"{attribute.name}: {error}")
        return problems

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "attributes": {a.name: a.type for a in self.attributes},
            "path": str(self.path) if self.path else None,
        }


def encode_value(attribute: Attribute, value: Any) -> str:
    """One value -> its raw credential string, by the attribute's declared type."""
    from ssi_wallet import encoding

    text = str(value).strip()
    kind = attribute.type
    if kind == "text":
        if not text:
            raise InvalidInputError("empty")
        if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
            raise InvalidInputError("has control characters")
        return text
    if kind == "money":
        if re.fullmatch(r"-?\d+", text):
            return _int32(int(text), text)  # already cents, as encode_human allows
        return _int32(encoding.euros_to_cents(text), text)
    if kind == "date":
        return str(encoding.date_to_int(encoding.parse_date(text)))
    if kind == "month":
        return str(encoding.month_to_int(text))
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", text):
            raise InvalidInputError(f"not an integer: {text!r}")
        return _int32(int(text), text)
    raise InvalidInputError(f"unknown attribute type {kind!r}")


INT32 = 2**31


def _int32(number: int, text: str) -> str:
    """AnonCreds proves predicates only on 32-bit integers (others are hashed)."""
    if not -INT32 <= number < INT32:
        raise InvalidInputError(
            f"{text[:40]!r} is out of range for predicates (at most {INT32 - 1})"
        )
    return str(number)


def load_credential_type(path: Path) -> CredentialType:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no credential type file {path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise InvalidInputError(f"{path}: not valid YAML ({problem}{where})") from None
    except RecursionError:
        raise InvalidInputError(f"{path}: nested too deeply") from None
    return parse_credential_type(doc, path)


def parse_credential_type(doc: Any, path: Path | None = None) -> CredentialType:
    where = str(path) if path else "credential type"

    def fail(message: str) -> InvalidInputError:
        return InvalidInputError(f"{where}: {message}")

    if not isinstance(doc, dict):
        raise fail("expected a mapping at the top")
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise fail("name must be letters, digits, '_', '.', '-' (starting with a letter)")
    version = doc.get("version", "")
    if isinstance(version, float):  # YAML reads 1.10 as 1.1: make people quote it
        raise fail(f'version {version!r}: quote it in YAML (version: "{version}")')
    version = str(version)
    if not _VERSION_RE.match(version):
        raise fail(f"version must look like 1.0 (quote it in YAML), not {version!r}")
    attrs_doc = doc.get("attributes")
    if not isinstance(attrs_doc, dict) or not attrs_doc:
        raise fail("attributes must map attribute names to {type, description}")
    attributes = []
    for attr_name, spec in attrs_doc.items():
        if not isinstance(attr_name, str) or not _ATTR_RE.match(attr_name):
            raise fail(f"attribute name {attr_name!r}: use lowercase letters, digits and _")
        if spec is None:
            spec = {}
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, dict):
            raise fail(f"attribute {attr_name}: expected {{type, description}}")
        kind = spec.get("type", "text")
        if kind not in TYPES:
            raise fail(f"attribute {attr_name}: type must be one of {', '.join(TYPES)}")
        attributes.append(Attribute(attr_name, kind, str(spec.get("description") or "")))
    description = doc.get("description") or {}
    if isinstance(description, str):
        description = {"en": description}
    if not isinstance(description, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in description.items()
    ):
        raise fail("description must be text or map languages (en, nl) to text")
    return CredentialType(
        name, version, tuple(attributes), Path(path).resolve() if path else None, dict(description)
    )


def agency_credential_types(config: Any) -> list[CredentialType]:
    """The credential types an agency's config lists."""
    return [load_credential_type(p) for p in config.credential_types]


def find_credential_type(config: Any, ref: str) -> CredentialType:
    """A credential type by name (case-insensitive, from the agency's list) or file path."""
    candidate = Path(ref).expanduser()
    if ref.endswith((".yaml", ".yml")) or candidate.is_file():
        return load_credential_type(candidate)
    types = agency_credential_types(config)
    for credential_type in types:
        if credential_type.name.lower() == ref.lower():
            return credential_type
    names = ", ".join(t.name for t in types) or "none"
    raise UsageError(
        f"agency {config.name} has no credential type {ref!r} (it has: {names})",
        hint="name a type file with its path, or list it under credential_types "
        "in the agency's file",
    )
