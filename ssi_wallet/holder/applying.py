"""Applying for a scheme: connect through the scheme's invitation and receive the
agency's proof request on that connection."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ssi_wallet.agent.events import EventTimeout
from ssi_wallet.errors import ServiceError, UsageError
from ssi_wallet.holder.connections import get_connection
from ssi_wallet.holder.invitations import read_invitation
from ssi_wallet.holder.models import Connection
from ssi_wallet.holder.schemes import get_scheme

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient


def receive_request(client: AdminClient, scheme_id: str, *,
                    timeout: float = 60.0) -> tuple[Connection, str]:
    """Connect for `scheme_id` and return the connection and the request that came."""
    from ssi_wallet.holder.connections import connect
    from ssi_wallet.holder.proofs import list_requests

    scheme = get_scheme(client, scheme_id)
    if not scheme.invitation_url:
        raise UsageError(f"scheme {scheme_id} says no way to apply (no invitation)")
    invitation = read_invitation(scheme.invitation_url)
    deadline = time.monotonic() + timeout
    with client.events() as stream:
        connection = connect(client, invitation, wait=True, timeout=timeout)
        while True:
            waiting = [r for r in list_requests(client) if r.connection_id == connection.id]
            if waiting:
                return get_connection(client, connection.id), waiting[0].id
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceError(f"{connection.their_label or 'the agency'} sent no proof "
                                   f"request within {timeout:.0f} s")
            try:
                stream.wait("present_proof_v2_0",
                            lambda p: p.get("connection_id") == connection.id,
                            timeout=remaining)
            except EventTimeout:
                continue
