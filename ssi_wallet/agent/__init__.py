"""Stock ACA-Py agents run as supervised processes and driven over their admin API.

`spec` says what to run, `process` starts and stops it, `running` finds it (cheaply,
for every command), `admin` is the single admin API client, `events` waits on the
agent's websocket. Nothing here imports ACA-Py: the agent is a separate process.
"""

from importlib import import_module
from typing import Any

# Names are resolved on first use (PEP 562): a CLI command that only needs the admin
# client does not import the process supervisor or the event stream.
_WHERE = {
    "AdminClient": "admin",
    "EventStream": "events",
    "EventTimeout": "events",
    "AgentRuntime": "running",
    "ensure_running": "process",
    "start": "process",
    "status": "running",
    "stop": "process",
    "AgentSpec": "spec",
    "PostgresStorage": "spec",
    "SqliteStorage": "spec",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


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
