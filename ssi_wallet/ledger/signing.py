"""Request signing serialization and signature checks.

The bytes a client signs are not JSON: keys sorted, ``key:value`` pairs joined with
``|``, lists joined with ``,``, null as empty string, booleans ``True``/``False``; the
top-level ``signature``, ``signatures`` and ``fees`` are left out. ATTRIB and GET_ATTR
sign the sha256 hex of ``raw``/``enc``/``hash`` instead of the value itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from .keys import expand_verkey

_EXCLUDED_TOP = ("signature", "signatures", "fees")
_HASHED_ATTR_FIELDS = ("raw", "enc", "hash")
_ATTR_TYPES = ("100", "104")


def _ser(value: Any, top: bool = False) -> str:
    if isinstance(value, Mapping):
        parts = []
        for key in sorted(value):
            if top and key in _EXCLUDED_TOP:
                continue
            parts.append(f"{key}:{_ser(value[key])}")
        return "|".join(parts)
    if isinstance(value, (list, tuple)):
        return ",".join(_ser(v) for v in value)
    if value is None:
        return ""
    if value is True:
        return "True"
    if value is False:
        return "False"
    return str(value)


def signing_input(request: Mapping[str, Any]) -> bytes:
    """The exact bytes the submitter signed."""
    op = request.get("operation")
    if isinstance(op, Mapping) and str(op.get("type")) in _ATTR_TYPES:
        op = dict(op)
        for field in _HASHED_ATTR_FIELDS:
            if isinstance(op.get(field), str):
                op[field] = hashlib.sha256(op[field].encode()).hexdigest()
        request = {**request, "operation": op}
    return _ser(request, top=True).encode()


def payload_digest(request: Mapping[str, Any]) -> str:
    """sha256 hex of the signed payload (identifies a request regardless of signers)."""
    return hashlib.sha256(signing_input(request)).hexdigest()


def full_digest(request: Mapping[str, Any]) -> str:
    """sha256 hex of the payload plus its signatures."""
    h = hashlib.sha256(signing_input(request))
    h.update(
        _ser(
            {"signature": request.get("signature"), "signatures": request.get("signatures")}
        ).encode()
    )
    return h.hexdigest()


class SignatureError(Exception):
    """A request's signatures do not check out; ``str()`` is plenum's reason text."""


def collect_signatures(request: Mapping[str, Any]) -> dict[str, str]:
    """Map of signer DID to base58 signature, from ``signature`` and ``signatures``."""
    sigs: dict[str, str] = {}
    multi = request.get("signatures")
    if multi is not None:
        if not isinstance(multi, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in multi.items()
        ):
            raise SignatureError("invalid signature format")
        sigs.update(multi)
    single = request.get("signature")
    if single is not None:
        if not isinstance(single, str):
            raise SignatureError("invalid signature format")
        ident = request.get("identifier")
        if isinstance(ident, str):
            sigs.setdefault(ident, single)
    return sigs


def verify_request(
    request: Mapping[str, Any], lookup_verkey: Callable[[str], str | None]
) -> list[str]:
    """Check every signature on a request; return the signer DIDs.

    ``lookup_verkey`` gives a DID's verkey as written in its NYM (may be abbreviated),
    or None when the DID is unknown.
    """
    sigs = collect_signatures(request)
    if not sigs:
        raise SignatureError("MissingSignature()")
    message = signing_input(request)
    invalid: dict[str, str] = {}
    valid = 0
    for did, sig in sigs.items():
        verkey = lookup_verkey(did)
        if verkey is None:
            raise SignatureError(f"could not authenticate, verkey for {did} cannot be found")
        try:
            raw_sig = base58.b58decode(sig)
            VerifyKey(expand_verkey(did, verkey)).verify(message, raw_sig)
            valid += 1
        except (BadSignatureError, ValueError, TypeError):
            invalid[did] = sig
    if invalid:
        listing = "; ".join(f"did={k}, signature={v}" for k, v in invalid.items())
        raise SignatureError(
            f"insufficient number of valid signatures, {len(sigs)} is required but {valid} valid "
            f"and {len(invalid)} invalid have been provided. "
            f"The following signatures are invalid: {listing}"
        )
    return list(sigs)
