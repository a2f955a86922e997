"""indy-node's default authorization rules, simplified, with its reason texts.

A rule is one constraint or an OR of constraints; each constraint names a role (or
``*``), a signature count and whether the author must own the thing being changed.
Reasons are worded exactly as indy-node words them, so clients see familiar errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

TRUSTEE = "0"
STEWARD = "2"
ENDORSER = "101"
NETWORK_MONITOR = "201"
ROLE_NAMES = {
    TRUSTEE: "TRUSTEE",
    STEWARD: "STEWARD",
    ENDORSER: "ENDORSER",
    NETWORK_MONITOR: "NETWORK_MONITOR",
}
ROLE_BY_NAME = {v: k for k, v in ROLE_NAMES.items()}
PRIVILEGED = {TRUSTEE, STEWARD, ENDORSER}
TXN_NAMES = {
    "1": "NYM",
    "100": "ATTRIB",
    "101": "SCHEMA",
    "102": "CLAIM_DEF",
    "113": "REVOC_REG_DEF",
    "114": "REVOC_REG_ENTRY",
}


def named_role(role: str | None) -> str:
    """indy-node's name for a stored role ('' or None is the identity owner)."""
    if not role:
        return "None role"
    return ROLE_NAMES.get(role, "Unknown role")


class AuthError(Exception):
    """Authorization failed; ``reason`` is indy-node's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Constraint:
    """One role requirement. ``role`` is a role code, None (identity owner) or '*'."""

    role: str | None
    sig_count: int = 1
    need_to_be_owner: bool = False

    def __str__(self) -> str:
        if self.role == "*":
            if self.need_to_be_owner:
                return "1 signature of any role is required and needs to be owner"
            return "1 signature of any role is required ALL"
        name = named_role(self.role) if self.role else "IDENTITY_OWNER"
        if self.need_to_be_owner:
            return f"1 {name} signature is required and needs to be owner"
        return f"1 {name} signature is required"


@dataclass(frozen=True)
class Forbidden:
    def __str__(self) -> str:
        return "The action is forbidden"


Rule = Sequence[Constraint] | Forbidden


@dataclass
class AuthRequest:
    """What the rules look at: author, signers, endorser and the roles on the ledger."""

    identifier: str
    signatures: Mapping[str, str] | None  # the multi-sig map, if the request had one
    single_signature: bool
    endorser: str | None
    role_of: Callable[[str], str | None]  # None: DID not on the ledger; '': no role
    txn_type: str


def _sig_count(req: AuthRequest, role: str | None) -> int:
    def accepted(r: str | None) -> bool:
        if r is None:
            return False
        return role == "*" or (r or None) == role

    if req.single_signature and not req.signatures:
        return 1 if accepted(req.role_of(req.identifier)) else 0
    if not req.signatures:
        return 0
    if role == "*":
        return len(req.signatures)
    return sum(1 for did in req.signatures if accepted(req.role_of(did)))


def _check(req: AuthRequest, c: Constraint, is_owner: bool, field: str) -> str | None:
    author_role = req.role_of(req.identifier)
    if c.need_to_be_owner and not is_owner:
        if field != "*":
            return (
                f"{named_role(author_role)} can not touch {field} field"
                " since only the owner can modify it"
            )
        txn_name = TXN_NAMES.get(req.txn_type, req.txn_type)
        return (
            f"{named_role(author_role)} can not edit {txn_name} txn since only owner can modify it"
        )
    if c.sig_count > 0 and author_role is None:
        return f"sender's DID {req.identifier} is not found in the Ledger"
    if c.sig_count > 0 and req.signatures and req.identifier not in req.signatures:
        return "Author must sign the transaction"
    if _sig_count(req, c.role) < c.sig_count:
        role = "*" if c.role == "*" else (named_role(c.role) if c.role else "IDENTITY_OWNER")
        return f"Not enough {role} signatures"
    return None


def _check_endorser(req: AuthRequest) -> str | None:
    if req.endorser is not None and req.role_of(req.endorser) != ENDORSER:
        return "Endorser must have one of the following roles: {'ENDORSER'}"
    if req.endorser is not None and req.endorser != req.identifier:
        if not req.signatures or req.endorser not in req.signatures:
            return "Endorser must sign the transaction"
    if not req.signatures:
        return None
    extra = len(req.signatures) > 1 or req.identifier not in req.signatures
    if not extra or (req.role_of(req.identifier) or None) in PRIVILEGED:
        return None
    if not any(req.role_of(d) in PRIVILEGED for d in req.signatures):
        return None
    if req.endorser is None:
        return "'Endorser' field must be explicitly set for the endorsed transaction"
    return None


def authorize(req: AuthRequest, rule: Rule, is_owner: bool = True, field: str = "*") -> None:
    """Raise AuthError with indy-node's reason unless the request satisfies ``rule``."""
    reason = _check_endorser(req)
    if reason:
        raise AuthError(reason)
    if isinstance(rule, Forbidden):
        raise AuthError(str(rule))
    fails = []
    for c in rule:
        reason = _check(req, c, is_owner, field)
        if reason is None:
            return
        fails.append((c, reason))
    if len(fails) == 1:
        raise AuthError(fails[0][1])
    rule_text = " OR ".join(str(c) for c, _ in fails)
    lines = [f"Rule for this action is: {rule_text}", "Failed checks:"]
    lines += [f"Constraint: {c}, Error: {r}" for c, r in fails]
    raise AuthError("\n".join(lines))


# The default rules this ledger applies.
ONE_TRUSTEE: Rule = (Constraint(TRUSTEE),)
TRUSTEE_OR_STEWARD: Rule = (Constraint(TRUSTEE), Constraint(STEWARD))
TRUSTEE_STEWARD_ENDORSER: Rule = (Constraint(TRUSTEE), Constraint(STEWARD), Constraint(ENDORSER))
ANY_OWNER: Rule = (Constraint("*", need_to_be_owner=True),)
FORBIDDEN: Rule = Forbidden()


def nym_add_rule(role: str | None) -> Rule:
    """Who may create a DID with ``role``."""
    if role in (TRUSTEE, STEWARD):
        return ONE_TRUSTEE
    if role in (ENDORSER, NETWORK_MONITOR):
        return TRUSTEE_OR_STEWARD
    return TRUSTEE_STEWARD_ENDORSER


def nym_role_change_rule(old: str | None, new: str | None) -> Rule:
    """Who may change a DID's role from ``old`` to ``new``."""
    if (old or None) in (None, NETWORK_MONITOR) and (new or None) in (
        ENDORSER,
        NETWORK_MONITOR,
        None,
    ):
        return TRUSTEE_OR_STEWARD
    return ONE_TRUSTEE


def reject_reason(identifier: object, req_id: object, reason: str) -> str:
    """Plenum's REJECT wording: the exception class and its args, after a fixed prefix."""
    return f"client request invalid: UnauthorizedClientRequest{(identifier, req_id, reason)!r}"


def invalid_reason(identifier: object, req_id: object, reason: str) -> str:
    """Plenum's wording for a request that fails dynamic validation."""
    return f"client request invalid: InvalidClientRequest{(identifier, req_id, reason)!r}"
