"""Stock ACA-Py agents run as supervised processes and driven over their admin API.

`spec` says what to run, `process` starts/stops/finds it, `admin` is the single admin
API client, `events` waits on the agent's websocket. Nothing here imports ACA-Py: the
agent is a separate process.
"""

from ssi_wallet.agent.admin import AdminClient
from ssi_wallet.agent.events import EventStream, EventTimeout
from ssi_wallet.agent.process import AgentRuntime, ensure_running, start, status, stop
from ssi_wallet.agent.spec import AgentSpec, PostgresStorage, SqliteStorage

__all__ = [
    "AdminClient",
    "AgentRuntime",
    "AgentSpec",
    "EventStream",
    "EventTimeout",
    "PostgresStorage",
    "SqliteStorage",
    "ensure_running",
    "start",
    "status",
    "stop",
]
