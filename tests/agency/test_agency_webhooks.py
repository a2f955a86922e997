"""An agency agent posts its webhooks with the key of a `#KEY` webhook URL, and that URL
(a secret) never appears on the agent's command line."""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


class _Receiver(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None, dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.seen.append((self.path, self.headers.get("x-api-key"), json.loads(body or b"{}")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_keyed_webhook_url_reaches_the_agent_by_the_secret_pipe(tmp_path: Path):
    import base58

    from ssi_wallet.agent import process
    from ssi_wallet.agent.admin import AdminClient
    from ssi_wallet.agent.spec import AgentSpec

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = secrets.token_hex(16)
    url = f"http://127.0.0.1:{server.server_address[1]}/webhooks#{key}"
    spec = AgentSpec(
        name="hooked",
        root=tmp_path / "agent",
        label="Hooked",
        wallet_name="hooked",
        wallet_key=base58.b58encode(secrets.token_bytes(32)).decode(),
        webhook_urls=(url,),
    )
    runtime = process.start(spec)
    try:
        cmdline = Path(f"/proc/{runtime.pid}/cmdline").read_bytes().decode(errors="replace")
        assert key not in cmdline and "--webhook-url" not in cmdline
        with AdminClient.from_runtime(runtime) as client:
            client.post(
                "/out-of-band/create-invitation",
                params={"auto_accept": "true"},
                json={"handshake_protocols": ["https://didcomm.org/didexchange/1.0"]},
            )
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _Receiver.seen:
            time.sleep(0.1)
        assert _Receiver.seen, "no webhook arrived"
        path, api_key, _payload = _Receiver.seen[0]
        assert path.startswith("/webhooks/topic/")
        assert api_key == key
        assert key not in Path(runtime.log_path).read_text()
    finally:
        process.stop(spec.root)
        server.shutdown()
