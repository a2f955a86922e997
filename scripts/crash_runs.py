"""kill -9 of the citizen's holder agent at stages of issuance and presentation, then a
restart: no credential lost or duplicated, each exchange completes or is cleanly
abandoned. Real processes throughout (see tests/hardening/harness.py).

    .venv/bin/python scripts/crash_runs.py --runs 100 --out crash.json

Stages (a run takes the next one in turn; `in-flight` kills land at a random moment in
the first two seconds of the citizen's command, so across runs they hit every step:
before send-request, after it, while the credential/presentation is on its way):
  offer-received      the offer is in the wallet; kill; restart; accept
  accept-in-flight    `offers accept` running; kill; restart; finish or re-accept
  after-send-request  killed the moment the holder's record says request-sent
  request-received    the proof request is in the wallet; kill; restart; present
  present-in-flight   `requests present` running; kill; restart; finish or re-present
  after-send-presentation  killed the moment the holder's record says presentation-sent
After each run, checked: the credential of that run is in the wallet exactly once (or,
for an abandoned exchange, not at all and the offer can be taken again); a proof request
is verified at most once and ends verified or cleanly abandoned; nothing of earlier runs
is lost; every CLI error on the way was one line without a traceback. An exchange the
kill stranded in "sent, not acknowledged" must end `abandoned` on both sides (the agent
abandons it GRACE_SECONDS after its restart, `ssi_wallet/holder/stranded.py`); the
issuer then offers again and the wallet stores exactly one copy.

`--verifier-runs N` runs a month of the income supplement N times with the verifier
agency killed: `verifier serve` (after step one, step two or both), and, in a series of
its own, the agency's ACA-Py agent (AGENCY_STAGES: right after the request is sent;
0-1.5 s after the citizen's answer to step one or two; once the payment is decided),
restarted with `ssi-wallet agency start`. Checked: one payment per month in the case
store and one webhook key at the payment system (a local receiver).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardening.harness import ENV, Stack, StepFailed, eventually  # noqa: E402
from tests.plugins.cli import CliResult, cli_env  # noqa: E402

STAGES = (
    "offer-received",
    "accept-in-flight",
    "after-send-request",
    "request-received",
    "present-in-flight",
    "after-send-presentation",
)
ISSUANCE = ("offer-received", "accept-in-flight", "after-send-request")
# exchanges.grace_seconds for the runs: longer than an issuer's ACA-Py retries (4 x 10 s),
# so a credential still on its way after the restart is not cut off.
GRACE_SECONDS = 45


def _background(stack: Stack, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ssi_wallet", *args, "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(stack.wallet.path, ENV),
    )


def _finish(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=180)
    return {
        "exit": proc.returncode,
        "traceback": "Traceback" in err,
        "error": err.strip().splitlines()[-1][:200] if err.strip() else "",
    }


def _wait_holder_state(stack: Stack, path: str, states: tuple[str, ...]) -> None:
    """Poll the holder agent's own record until it reaches one of `states` (then the
    caller kills it at once)."""
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runtime = stack._runtime(stack.holder_root)
        try:
            record = httpx.get(
                runtime["admin_url"] + path, timeout=5, headers={"x-api-key": runtime["api_key"]}
            ).json()
            state = record.get("cred_ex_record", record).get("state")
            if state in states:
                return
        except (httpx.HTTPError, ValueError, TypeError, KeyError):
            pass
        time.sleep(0.02)
    raise StepFailed(f"the holder never reached {states}")


def _restart(stack: Stack) -> float:
    started = time.monotonic()
    stack.wallet.json("agent", "start", timeout=240)
    return time.monotonic() - started


def issuance_run(stack: Stack, number: int, stage: str, rng: random.Random) -> dict:
    ref = f"crash-{number}"
    before = {c["id"] for c in stack.wallet.json("credentials", "list")}
    cred_ex_id = stack.offer(ref)
    offer = stack.wallet_offer()
    outcome: dict = {"stage": stage}
    if stage == "offer-received":
        stack.kill_holder()
    else:
        proc = _background(stack, "offers", "accept", offer["id"])
        if stage == "after-send-request":
            _wait_holder_state(
                stack,
                f"/issue-credential-2.0/records/{offer['id']}",
                ("request-sent", "credential-received", "done"),
            )
        else:
            time.sleep(rng.uniform(0.0, 2.0))
        stack.kill_holder()
        outcome["cli"] = _finish(proc)
    outcome["restart_s"] = round(_restart(stack), 1)
    # after the restart: stored already, still on offer, or stuck mid-exchange
    mine = stack.credentials_with(ref)
    open_offers = [o for o in stack.wallet.json("offers", "list") if o["id"] == offer["id"]]
    if mine:
        outcome["result"] = "stored (found after restart)"
    elif open_offers:
        stack.wallet.json("offers", "accept", offer["id"])
        outcome["result"] = "offer kept; accepted after restart"
    else:
        # the holder sent its request before dying: the credential may still arrive, or
        # (the request or the credential died with a queue) both sides end abandoned
        outcome["result"] = _settle_issuance(stack, ref, cred_ex_id, offer["id"])
        if outcome["result"] == "abandoned on both sides":
            stack.offer(ref)
            stack.wallet.json("offers", "accept", stack.wallet_offer()["id"])
            outcome["result"] += "; offered again and stored"
    mine = stack.credentials_with(ref)
    after = {c["id"] for c in stack.wallet.json("credentials", "list")}
    outcome["copies"] = len(mine)
    outcome["lost_earlier"] = len(before - after)
    outcome["ok"] = (
        len(mine) == 1 and not (before - after) and not outcome.get("cli", {}).get("traceback")
    )
    return outcome


def _abandoned_in_wallet(stack: Stack, exchange_id: str) -> bool:
    """The wallet's history says it abandoned this exchange."""
    return any(e["kind"] == "exchange_abandoned" and e.get("exchange_id") == exchange_id
               for e in stack.wallet.json("history"))


def _settle_issuance(stack: Stack, ref: str, cred_ex_id: str, offer_id: str) -> str:
    """Wait until the credential is stored or both sides abandoned the exchange."""

    def settled() -> str | None:
        if stack.credentials_with(ref):
            return "credential arrived after restart"
        state = stack.issuer_record(cred_ex_id)["cred_ex_record"]["state"]
        if state == "abandoned" and _abandoned_in_wallet(stack, offer_id):
            return "abandoned on both sides"
        return None

    try:
        return eventually(settled, timeout=GRACE_SECONDS + 90, interval=1.0)
    except StepFailed:
        state = stack.issuer_record(cred_ex_id)["cred_ex_record"]["state"]
        return f"not completed (issuer state {state})"


def presentation_run(stack: Stack, number: int, stage: str, rng: random.Random) -> dict:
    if not stack.credentials_with("crash-base"):
        stack.offer("crash-base")
        stack.wallet.json("offers", "accept", stack.wallet_offer()["id"])
    pres_ex_id = stack.request()
    request = stack.wallet_request()
    outcome: dict = {"stage": stage}
    if stage == "request-received":
        stack.kill_holder()
    else:
        proc = _background(stack, "requests", "present", request["id"], "--yes")
        if stage == "after-send-presentation":
            _wait_holder_state(
                stack, f"/present-proof-2.0/records/{request['id']}", ("presentation-sent", "done")
            )
        else:
            time.sleep(rng.uniform(0.0, 2.0))
        stack.kill_holder()
        outcome["cli"] = _finish(proc)
    outcome["restart_s"] = round(_restart(stack), 1)
    still_open = [r for r in stack.wallet.json("requests", "list") if r["id"] == request["id"]]
    if still_open:
        stack.wallet.json("requests", "present", request["id"], "--yes")
        outcome["result"] = "request kept; presented after restart"
    else:
        outcome["result"] = "presented before the crash"

    def final():
        record = stack.verifier_record(pres_ex_id)
        return record if record["state"] in ("done", "abandoned") else None

    try:
        record = eventually(final, timeout=GRACE_SECONDS + 90)
        outcome["verifier"] = f"{record['state']} verified={record.get('verified')}"
        if record["state"] == "abandoned":  # cleanly: the wallet abandoned it too
            clean = eventually(lambda: _abandoned_in_wallet(stack, request["id"]), timeout=30)
        else:
            clean = record.get("verified") == "true"
    except StepFailed:
        outcome["verifier"] = stack.verifier_record(pres_ex_id)["state"]
        clean = False
    outcome["ok"] = clean and not outcome.get("cli", {}).get("traceback")
    return outcome


def crash_runs(
    runs: int, seed: int, stages: tuple[str, ...] = STAGES, stack: Stack | None = None
) -> dict:
    rng = random.Random(seed)
    own = stack is None
    stack = stack or Stack()
    results = []
    started = time.monotonic()
    try:
        if own:
            stack.start()
        stack.wallet("config", "set", "exchanges.grace_seconds", str(GRACE_SECONDS)).check()
        for number in range(1, runs + 1):
            stage = stages[(number - 1) % len(stages)]
            try:
                if stage in ISSUANCE:
                    outcome = issuance_run(stack, number, stage, rng)
                else:
                    outcome = presentation_run(stack, number, stage, rng)
            except Exception as error:  # noqa: BLE001 - a failed run is a finding
                outcome = {
                    "stage": stage,
                    "ok": False,
                    "error": f"{type(error).__name__}: {str(error)[:300]}",
                }
                try:
                    _restart(stack)
                except Exception:  # noqa: BLE001
                    pass
            outcome["run"] = number
            results.append(outcome)
            print(json.dumps(outcome), flush=True)
        total = {c["id"] for c in stack.wallet.json("credentials", "list")}
    finally:
        if own:
            stack.stop()
    by_stage: dict[str, dict[str, int]] = {}
    for outcome in results:
        counts = by_stage.setdefault(outcome["stage"], {"runs": 0, "ok": 0})
        counts["runs"] += 1
        counts["ok"] += int(bool(outcome.get("ok")))
        key = outcome.get("result") or outcome.get("error", "error")[:60]
        counts[key] = counts.get(key, 0) + 1
    return {
        "runs": runs,
        "ok": sum(bool(r.get("ok")) for r in results),
        "duplicates": sum(1 for r in results if r.get("copies", 1) > 1),
        "lost": sum(r.get("lost_earlier", 0) for r in results),
        "credentials_in_wallet": len(total),
        "seconds": round(time.monotonic() - started),
        "by_stage": by_stage,
        "results": results,
    }


# ------------------------------------------------------------------ verifier agency


class PaymentsReceiver:
    """The agency's payment system: records every webhook delivery and its key."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        deliveries = self.deliveries = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                deliveries.append((self.headers.get("Idempotency-Key"), body.decode()))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pay"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys_for(self, month: int) -> set[str]:
        return {key for key, body in self.deliveries if str(month) in body and key}

    def close(self) -> None:
        self.server.shutdown()


def _serve(stack: Stack) -> int:
    """The running `verifier serve` (agency start launches it), or a new one."""
    status = stack.agency.json("verifier", "serve", "--agency", "town", "--status")
    if status.get("running"):
        return status["pid"]
    return stack.agency.json("verifier", "serve", "--agency", "town", "--background")["pid"]


def _kill(pid: int) -> None:
    import os
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kill_and_wait(pid: int) -> None:
    _kill(pid)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:  # reap it if it is our child (a zombie still has /proc/<pid>)
            import os

            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if (
            Path(f"/proc/{pid}/status").exists()
            and "zombie" in Path(f"/proc/{pid}/status").read_text()
        ):
            break
        time.sleep(0.05)


def _run_month(number: int) -> tuple[int, str]:
    """Run N's month (YYYYMM and YYYY-MM): one month per run from January 2026 on, so a
    payment is counted per run."""
    year, index = divmod(number - 1, 12)
    month = (2026 + year) * 100 + index + 1
    return month, f"{month // 100}-{month % 100:02d}"


def verifier_run(
    stack: Stack, receiver: PaymentsReceiver, number: int, serve_pid: list[int], rng: random.Random
) -> dict:
    """One month's income supplement with `verifier serve` killed -9 at a random point:
    after step one is presented, after step two, or both; restarted each time."""
    month, text = _run_month(number)
    where = rng.choice(("after-step-1", "after-step-2", "both"))
    outcome: dict = {"stage": f"serve-killed-{where}", "month": month}
    stack.offer(f"pay-{number}", month=text, issue_date="2026-11-15")
    stack.wallet.json("offers", "accept", stack.wallet_offer()["id"])
    stack.agency.json(
        "verifier",
        "request",
        "--agency",
        "town",
        "--policy",
        "income-supplement",
        "--connection",
        stack.connection,
        "--month",
        text,
    )
    first = stack.wallet_request()
    stack.wallet.json("requests", "present", first["id"], "--yes")
    if where in ("after-step-1", "both"):
        time.sleep(rng.uniform(0.0, 1.5))
        _kill_and_wait(serve_pid[0])
        serve_pid[0] = _serve(stack)
    second = eventually(
        lambda: [r for r in stack.wallet.json("requests", "list") if r["id"] != first["id"]],
        timeout=120,
    )[0]
    stack.wallet.json("requests", "present", second["id"], "--yes")
    if where in ("after-step-2", "both"):
        time.sleep(rng.uniform(0.0, 1.5))
        _kill_and_wait(serve_pid[0])
        serve_pid[0] = _serve(stack)
    case = f"C-{stack.connection}"

    def paid():
        summary = stack.agency.json("verifier", "cases", "show", case, "--agency", "town")
        payments = [p for p in summary.get("payments", []) if int(p["month"]) == month]
        return (summary, payments) if payments and receiver.keys_for(month) else None

    summary, payments = eventually(paid, timeout=180, interval=1.0)
    time.sleep(2)  # let any duplicate delivery arrive before counting
    summary = stack.agency.json("verifier", "cases", "show", case, "--agency", "town")
    payments = [p for p in summary.get("payments", []) if int(p["month"]) == month]
    keys = receiver.keys_for(month)
    outcome.update(
        payments=len(payments),
        webhook_keys=len(keys),
        deliveries=sum(1 for k, b in receiver.deliveries if str(month) in b),
    )
    outcome["ok"] = len(payments) == 1 and len(keys) == 1
    return outcome


AGENCY_STAGES = ("after-request-sent", "after-presentation-arrived", "after-payment-decision")


def _restart_agency(stack: Stack) -> float:
    """`ssi-wallet agency start town`: starts the agent that is not running."""
    started = time.monotonic()
    stack.agency.json("agency", "start", "town", timeout=240)
    return round(time.monotonic() - started, 1)


def _case(stack: Stack) -> dict:
    """The citizen's case at the agency (`verifier cases show`); empty before the first."""
    case = f"C-{stack.connection}"
    result = stack.agency("verifier", "cases", "show", case, "--agency", "town", "--json")
    return result.json() if result.returncode == 0 else {}


def _month_payments(stack: Stack, month: int) -> list[dict]:
    return [p for p in _case(stack).get("payments", []) if int(p["month"]) == month]


def agency_agent_run(
    stack: Stack,
    receiver: PaymentsReceiver,
    number: int,
    stage: str,
    rng: random.Random,
    *,
    reask_after: float = 120.0,
) -> dict:
    """One month's income supplement with the agency's ACA-Py agent killed -9 at `stage`
    and restarted (`agency start`); `verifier serve` keeps running. The citizen answers
    every new request of the agency; when nothing moves for `reask_after` seconds (a
    message lost with the dead agent's in-memory queue) the agency asks again
    (`verifier recheck`). A run is ok when the month is paid once and every exchange
    it sent was decided (none left open: completed, or abandoned and decided)."""
    month, text = _run_month(number)
    outcome: dict = {"stage": f"agent-killed-{stage}", "month": month, "reasked": 0}
    earlier = {e["pres_ex_id"] for e in _case(stack).get("exchanges", [])}
    stack.offer(f"agent-{number}", month=text, issue_date="2026-11-15")
    stack.wallet.json("offers", "accept", stack.wallet_offer()["id"])
    seen = {r["id"] for r in stack.wallet.json("requests", "list")}
    stack.agency.json(
        "verifier", "request", "--agency", "town", "--policy", "income-supplement",
        "--connection", stack.connection, "--month", text,
    )
    killed = False

    def kill_and_restart() -> None:
        stack.kill_agency()
        outcome["restart_s"] = _restart_agency(stack)

    if stage == "after-request-sent":
        kill_and_restart()
        killed = True
    kill_on_step = rng.choice((1, 2))  # after-presentation-arrived: which step's answer
    presented = 0
    progress = deadline = time.monotonic()
    deadline += 420
    while True:
        paid = bool(_month_payments(stack, month))
        if stage == "after-payment-decision" and paid and not killed:
            kill_and_restart()
            killed = True
        if paid and receiver.keys_for(month):
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"no payment for {month} after 420 s ({outcome})")
        for request in stack.wallet.json("requests", "list"):
            if request["id"] in seen:
                continue
            seen.add(request["id"])
            arriving = stage == "after-presentation-arrived" and presented + 1 == kill_on_step
            if arriving and not killed:
                answer = _present_and_kill_on_receipt(stack, request["id"], rng, outcome)
                killed = True
            else:
                answer = stack.wallet("requests", "present", request["id"], "--yes", "--json")
            if answer.returncode:  # e.g. a request the agency abandoned meanwhile
                outcome.setdefault("present_errors", []).append(
                    answer.stderr.strip().splitlines()[-1][:200] if answer.stderr.strip() else "")
                outcome["traceback"] = outcome.get("traceback") or "Traceback" in answer.stderr
                continue
            presented += 1
            progress = time.monotonic()
        if time.monotonic() - progress > reask_after:
            stack.agency.json(
                "verifier", "recheck", "--case", f"C-{stack.connection}", "--agency", "town"
            )
            outcome["reasked"] += 1
            progress = time.monotonic()
        time.sleep(0.2 if stage == "after-payment-decision" and not killed else 1.0)
    time.sleep(2)  # let any duplicate delivery arrive before counting
    payments = _month_payments(stack, month)
    keys = receiver.keys_for(month)
    mine = [e for e in _case(stack)["exchanges"] if e["pres_ex_id"] not in earlier]
    outcome.update(
        exchanges=len(mine),
        # sent in this run and never decided: stranded, unless abandoned when re-asked
        left_open=sum(1 for e in mine if e.get("status") != "processed"),
        presented=presented,
        payments=len(payments),
        webhook_keys=len(keys),
        deliveries=sum(1 for k, b in receiver.deliveries if str(month) in b),
    )
    outcome["ok"] = (killed and len(payments) == 1 and len(keys) == 1
                     and not outcome["left_open"] and not outcome.get("traceback"))
    return outcome


def _present_and_kill_on_receipt(
    stack: Stack, request_id: str, rng: random.Random, outcome: dict
) -> CliResult:
    """Present, and kill the agency's agent the moment it has stored the presentation
    (`presentation-received`, before its in-memory verification and webhook); when that
    moment is missed, 0-1.5 s after the answer left. Then restart it."""
    import httpx

    proc = _background(stack, "requests", "present", request_id, "--yes")
    runtime = stack._runtime(stack.agency_root)
    outcome["kill_at"] = "random"
    while True:
        try:
            received = httpx.get(
                runtime["admin_url"] + "/present-proof-2.0/records",
                params={"state": "presentation-received", "role": "verifier"},
                headers={"x-api-key": runtime["api_key"]},
                timeout=5,
            ).json()["results"]
        except (httpx.HTTPError, ValueError, KeyError):
            received = []
        if received:
            outcome["kill_at"] = "presentation-received"
            break
        if proc.poll() is not None:
            time.sleep(rng.uniform(0.0, 1.5))
            break
        time.sleep(0.01)
    stack.kill_agency()
    out, err = proc.communicate(timeout=180)
    outcome["restart_s"] = _restart_agency(stack)
    return CliResult([], proc.returncode, out, err)


def verifier_crash_runs(runs: int, seed: int, *, kill: str = "serve",
                        stack: Stack | None = None,
                        receiver: PaymentsReceiver | None = None) -> dict:
    """`kill="serve"`: kill -9 of `verifier serve`; `kill="agent"`: of the agency's ACA-Py
    agent, at AGENCY_STAGES in turn. With `stack` (started with `receiver.url` as its
    payments webhook) the runs use it and leave it running."""
    rng = random.Random(seed)
    own = stack is None
    receiver = receiver or PaymentsReceiver()
    stack = stack or Stack(payments_url=receiver.url)
    serve_pid = [0]
    results = []
    started = time.monotonic()
    try:
        if own:
            stack.start()
        serve_pid[0] = _serve(stack)
        for number in range(1, runs + 1):
            try:
                if kill == "agent":
                    stage = AGENCY_STAGES[(number - 1) % len(AGENCY_STAGES)]
                    outcome = agency_agent_run(stack, receiver, number, stage, rng)
                else:
                    outcome = verifier_run(stack, receiver, number, serve_pid, rng)
            except Exception as error:  # noqa: BLE001 - a failed run is a finding
                outcome = {"ok": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}
                if kill == "agent":
                    outcome["stage"] = f"agent-killed-{stage}"
                    try:  # a run that never paid is a lost payment
                        outcome["payments"] = len(_month_payments(stack, _run_month(number)[0]))
                    except Exception:  # noqa: BLE001
                        pass
            outcome["run"] = number
            results.append(outcome)
            print(json.dumps(outcome), flush=True)
    finally:
        if own:
            if serve_pid[0]:
                _kill(serve_pid[0])
            stack.stop()
            receiver.close()
    return {
        "runs": runs,
        "ok": sum(bool(r.get("ok")) for r in results),
        "double_payments": sum(1 for r in results if r.get("payments", 0) > 1),
        "lost_payments": sum(1 for r in results if r.get("payments", 1) == 0),
        "seconds": round(time.monotonic() - started),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--verifier-runs",
        type=int,
        default=0,
        help="also kill the verifier agency mid-workflow this many times (see --verifier-kill)",
    )
    parser.add_argument(
        "--verifier-kill",
        choices=("serve", "agent", "both"),
        default="both",
        help="with --verifier-runs: kill `verifier serve`, the agency's ACA-Py agent, or "
        "each in a series of its own",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    # a background job ignores SIGINT: let SIGTERM stop the agents and ledgers we started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    summary = crash_runs(args.runs, args.seed) if args.runs else {"runs": 0, "ok": 0}
    series = {"verifier": "serve", "agency_agent": "agent"}
    for key, kill in series.items():
        if args.verifier_runs and args.verifier_kill in (kill, "both"):
            summary[key] = verifier_crash_runs(args.verifier_runs, args.seed, kill=kill)
    text = json.dumps(summary, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    short = {k: v for k, v in summary.items() if k not in ("results", *series)}
    for key in series:
        if key in summary:
            short[key] = {k: v for k, v in summary[key].items() if k != "results"}
    print(json.dumps(short, indent=2))
    all_ok = all(summary[k]["ok"] == summary[k]["runs"] for k in series if k in summary)
    sys.exit(0 if summary["ok"] == summary["runs"] and all_ok else 1)


if __name__ == "__main__":
    main()
