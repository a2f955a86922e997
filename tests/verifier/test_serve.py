"""`verifier serve`'s HTTP side against a fake agent: the key, redelivered webhooks,
connections from case invitations, catch-up at start and the periodic re-check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import web

from ssi_wallet.agency import serve, verifier
from ssi_wallet.agency.cases import open_case_store
from tests.verifier.test_decisions import BRAKE, INCOME, MUNI, FakeAgent, _agency


class Agent(FakeAgent):
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _run(config, agent: Agent, monkeypatch, scenario) -> None:
    monkeypatch.setattr(verifier, "client_for", lambda cfg: agent)

    async def main() -> None:
        server = serve.Server(config)
        runner = web.AppRunner(server.app())
        await runner.setup()
        site = web.TCPSite(runner, serve.HOST, server.port)
        await site.start()
        try:
            async with aiohttp.ClientSession() as http:
                await scenario(server, http, serve.webhook_settings(config)[1])
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_webhooks_need_the_key_and_replays_do_nothing(tmp_path: Path, monkeypatch) -> None:
    config = _agency(tmp_path, "municipality")
    agent, store = Agent(), open_case_store(config)
    first = verifier.send_request(config, agent, INCOME, connection_id="c1", month=202610)
    agent.answer(first["pres_ex_id"], revealed={"month": "202610"})
    url = serve.webhook_url(config)
    assert url.startswith(f"http://127.0.0.1:{serve.webhook_settings(config)[0]}/webhooks#")

    async def scenario(server, http, key) -> None:
        base = f"http://127.0.0.1:{server.port}/webhooks/topic"
        body = {"pres_ex_id": first["pres_ex_id"], "state": "done", "role": "verifier"}
        for headers in ({}, {"x-api-key": "nope"}):
            async with http.post(f"{base}/present_proof_v2_0/", json=body,
                                 headers=headers) as response:
                assert response.status == 401
        async with http.post(f"{base}/present_proof_v2_0/", json=body,
                             headers={"x-api-key": key}) as response:
            result = await response.json()
        # step one was decided either by this webhook or by the catch-up at start
        assert result["status"] in ("decided", "already")
        child = store.child_of(first["pres_ex_id"])
        agent.answer(child.pres_ex_id, revealed={"month": "202610",
                                                 "net_income_cents": "123400"})
        body["pres_ex_id"] = child.pres_ex_id
        statuses = []
        for _ in range(3):
            async with http.post(f"{base}/present_proof_v2_0/", json=body,
                                 headers={"x-api-key": key}) as response:
                statuses.append((await response.json())["status"])
        assert statuses == ["decided", "already", "already"]
        async with http.post(f"{base}/basicmessages/", json={"content": "hi"},
                             headers={"x-api-key": key}) as response:
            assert (await response.json()) == {"ignored": "basicmessages"}
        async with http.post(f"{base}/present_proof_v2_0/", data=b"{not json",
                             headers={"x-api-key": key}) as response:
            assert response.status == 400
        async with http.get(f"http://127.0.0.1:{server.port}/health") as response:
            assert (await response.json())["ok"] is True

    _run(config, agent, monkeypatch, scenario)
    assert store.payments_count() == 1


def test_case_invitation_connection_and_periodic_recheck(tmp_path: Path, monkeypatch) -> None:
    config = _agency(tmp_path, "cjib", recheck_interval_seconds=0.5)
    agent, store = Agent(), open_case_store(config)
    store.add_invitation("CJIB-7", "invi-7", workflow="emergency_brake",
                         policy_path=str(BRAKE.path))

    async def scenario(server, http, key) -> None:
        base = f"http://127.0.0.1:{server.port}/webhooks/topic"
        event = {"state": "active", "connection_id": "c7", "invitation_msg_id": "invi-7"}
        async with http.post(f"{base}/connections/", json=event,
                             headers={"x-api-key": key}) as response:
            linked = (await response.json())["linked"]
        assert linked["case_ref"] == "CJIB-7"
        pres_ex_id = linked["request"]["pres_ex_id"]
        agent.answer(pres_ex_id, issuer=MUNI, schema="DebtSupportCertificate", revealed={})
        body = {"pres_ex_id": pres_ex_id, "state": "done", "role": "verifier"}
        async with http.post(f"{base}/present_proof_v2_0/", json=body,
                             headers={"x-api-key": key}) as response:
            assert (await response.json())["decision"]["outcome"] == "brake_applied"
        # the timer asks again by itself
        for _ in range(40):
            await asyncio.sleep(0.1)
            if len(store.exchanges_of("CJIB-7")) > 1:
                break
        rechecks = [e for e in store.exchanges_of("CJIB-7") if e.purpose == "recheck"]
        assert rechecks, "no periodic re-check was sent"

    _run(config, agent, monkeypatch, scenario)
