"""``make chaos``: the seeded trace through a real ``make dev`` (``chatbatch dev`` as a subprocess) on its own
Postgres cluster and its own local SQS, both outliving every killed function process as in AWS, with the
loopback LLM and gateway; one scenario at a time, a table after each, and the summary at the end. Exit code 1
when any scenario lost a bubble or a burst, sent a reply twice, mistook an echo for a human or left a sent
reply out of the history.

    make chaos CHAOS_ARGS="--seed 7 --chats 50"
    .venv/bin/python -m chatbatch_local.chaos --scenarios kill-worker,all-together --chats 10
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from chatbatch_local.chaos import faults, report
from chatbatch_local.chaos.faults import Scenario
from chatbatch_local.chaos.peers import ChaosLlm, CuttableProxy, RetryingWebhook, waha_bubble
from chatbatch_local.chaos.trace import Bubble, make_trace
from chatbatch_local.fake_gateway import DEV_GATEWAY_TOKEN, HANG, FakeGateway, serve
from chatbatch_local.postgres import LocalPostgres, free_port
from chatbatch_local.sqs import create_queues

SECRET = "dev-webhook-secret"
STARTUP_SECONDS = 90.0
# The windows, shortened so that a scenario takes well under two minutes; their arithmetic is the template's:
# the LLM's worst case (2 tries of 2 s + backoff) + one gateway call (2 s) + database margins < the lease (20 s)
# < the visibility timeout (25 s); the echo wait (5 s) far above the loopback gateway's echo delay.
VISIBILITY_TIMEOUT_SECONDS = 25
SETTINGS = {
    "DEBOUNCE_SECONDS": "0.8",
    "MAX_WAIT_SECONDS": "4",
    "SWEEP_INTERVAL_SECONDS": "0.2",
    "LLM_TIMEOUT_SECONDS": "2",
    "LLM_MAX_RETRIES": "1",
    "GATEWAY_TIMEOUT_SECONDS": "2",
    "WORKER_JOB_LEASE_SECONDS": "20",
    "GATEWAY_ECHO_WAIT_SECONDS": "5",
    "WORKER_MAX_RECEIVES": "5",
    "JOB_STUCK_AFTER_SECONDS": "20",  # as short as the run: a job behind a busy worker is not lost
    "JOB_LOST_AFTER_SECONDS": "3600",
    "DB_CONNECT_TIMEOUT_SECONDS": "2",
    "DB_STATEMENT_TIMEOUT_MS": "5000",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
POSTGRES_DOWN_SECONDS = 4.0
SQS_DOWN_SECONDS = 5.0


class ChaosStack:
    """Postgres, SQS (behind a cuttable proxy), the LLM, the gateway and ``chatbatch dev``; ``close()`` stops all."""

    def __init__(self, rng: random.Random, workdir: Path) -> None:
        self.rng = rng
        self.workdir = workdir
        # Durable (fsync, synchronous commit), as RDS is: a stopped Postgres must keep every commit it acknowledged.
        self.postgres = LocalPostgres(workdir / "pgdata")
        self.moto = None
        self.proxy: CuttableProxy | None = None
        self.llm = ChaosLlm(rng)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.webhook = RetryingWebhook(self.api_url, secret=SECRET)
        self.gateway = FakeGateway(kind="waha", token=DEV_GATEWAY_TOKEN, echo=self.webhook, hang_seconds=4.0)
        self.gateway_server = None
        self.dev: subprocess.Popen | None = None
        self.stack_file = workdir / "stack.json"
        self.killed: dict[str, int] = {}  # function → the pid killed last
        self.log = workdir / "chatbatch-dev.log"
        self.sqs_endpoint = ""
        self.queue_url = ""

    def start(self) -> ChaosStack:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per SQS call
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self.postgres.start()
        moto_port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        self.proxy = CuttableProxy(moto_port)
        self.sqs_endpoint = f"http://127.0.0.1:{moto_port}"
        endpoint = f"http://127.0.0.1:{self.proxy.port}"
        self.queue_url, dlq_url = create_queues(endpoint, visibility_timeout=VISIBILITY_TIMEOUT_SECONDS)
        self.llm.start()
        self.gateway_server = serve(self.gateway)
        env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL")}
        env |= {
            "DATABASE_URL": self.postgres.dsn,
            "PORT": str(self.port),
            "CHATBATCH_STACK_FILE": str(self.stack_file),
            "WEBHOOK_SECRET": SECRET,
            "QUEUE_URL": self.queue_url,
            "DLQ_URL": dlq_url,
            "SQS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": "us-east-1",
            "GATEWAY": "waha",
            "GATEWAY_URL": self.gateway.url,
            "GATEWAY_TOKEN": DEV_GATEWAY_TOKEN,
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": f"{self.llm.url}/v1",
            "LLM_API_KEY": "sk-chaos",
            **SETTINGS,
        }
        with self.log.open("w") as out:
            self.dev = subprocess.Popen(
                [sys.executable, "-m", "chatbatch_local.cli", "dev", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._healthy():
            if self.dev.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chatbatch dev did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.3)
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as answer:
                return answer.status == 200 and "functions" in json.loads(self.stack_file.read_text())
        except (OSError, ValueError):
            return False

    def pid(self, function: str) -> int | None:
        with suppress(OSError, ValueError):
            return json.loads(self.stack_file.read_text())["functions"].get(function)
        return None

    def kill(self, function: str) -> bool:
        """SIGKILL the function's current process (``make dev`` starts a new one); one killed just before is
        waited for to be replaced first (up to 10 s), so that every kill hits a live process."""
        deadline = time.monotonic() + 10
        while (pid := self.pid(function)) in (None, self.killed.get(function)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid is None or pid == self.killed.get(function):
            return False
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            self.killed[function] = pid
            return True
        return False

    def stop_postgres(self, seconds: float) -> None:
        """An immediate shutdown (a crash to the clients), then the same cluster started again."""
        pg = self.postgres
        subprocess.run(
            [*pg._as_owner(), str(pg.bindir / "pg_ctl"), "-D", str(pg.data_dir), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        time.sleep(seconds)
        pg.start()

    def cut_sqs(self, seconds: float) -> None:
        self.proxy.cut()
        time.sleep(seconds)
        self.proxy.mend()

    def queue_is_empty(self) -> bool:
        import boto3

        sqs = boto3.client(
            "sqs",
            endpoint_url=self.sqs_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=names)["Attributes"]
        return all(int(attributes[name]) == 0 for name in names)

    def close(self) -> None:
        if self.dev is not None and self.dev.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.dev.pid, signal.SIGINT)
            try:
                self.dev.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.dev.pid, signal.SIGKILL)
                self.dev.wait()
        if self.gateway_server is not None:
            self.gateway_server.shutdown()
            self.gateway_server.server_close()
        self.llm.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self.moto is not None:
            self.moto.stop()
        self.postgres.stop()


class Injector:
    """Arms one scenario's faults on the peers and fires its timed ones; counts what it injected."""

    def __init__(self, stack: ChaosStack, scenario: Scenario, rng: random.Random) -> None:
        self.stack = stack
        self.scenario = scenario
        self.rng = rng
        self.kills_left = dict(scenario.worker_kills)
        self.injected: dict[str, int] = {}
        self.lock = threading.Lock()

    def _count(self, what: str) -> None:
        with self.lock:
            self.injected[what] = self.injected.get(what, 0) + 1

    def _take_kill(self, point: str) -> bool:
        with self.lock:
            if self.kills_left.get(point, 0) <= 0 or self.rng.random() >= self.scenario.kill_chance:
                return False
            self.kills_left[point] -= 1
        return True

    def _kill_worker(self, point: str) -> None:
        if self.stack.kill("worker"):
            self._count(faults.SHORT[point])

    def arm(self) -> None:
        s, llm, gateway = self.scenario, self.stack.llm, self.stack.gateway
        self.llm_before = (llm.errors, llm.hangs)
        llm.error_rate, llm.hang_rate = s.llm_error_rate, s.llm_hang_rate

        def on_llm_call() -> None:
            if self._take_kill("during the LLM call"):
                self._kill_worker("during the LLM call")

        def send_behaviour() -> int | str:
            if self._take_kill("between commit and send"):
                self._kill_worker("between commit and send")
                return 503  # never taken: the worker died before the gateway had the message
            if self._take_kill("during the gateway call"):
                self._kill_worker("during the gateway call")
                return 200  # taken (and echoed) while its sender is gone
            roll = self.rng.random()
            if roll < s.gateway_503_rate:
                self._count("gw 503")
                return 503
            if roll < s.gateway_503_rate + s.gateway_hang_rate:
                self._count("gw timeout")
                return HANG
            roll -= s.gateway_503_rate + s.gateway_hang_rate
            if roll < s.echo_never_rate:
                self._count("echo never")
                self.stack.webhook.hold_next_echo(math.inf)
                return HANG
            if roll < s.echo_never_rate + s.echo_late_rate:
                self._count("echo late")
                self.stack.webhook.hold_next_echo(s.echo_late_seconds)
                return HANG
            return 200

        def on_accepted(_sent) -> None:
            if self._take_kill("after accepted"):
                self._kill_worker("after accepted")

        llm.on_call = on_llm_call
        gateway.send_behaviour = send_behaviour
        gateway.on_accepted = on_accepted

    def disarm(self) -> None:
        llm, gateway = self.stack.llm, self.stack.gateway
        with llm.lock:
            errors, hangs = llm.errors - self.llm_before[0], llm.hangs - self.llm_before[1]
        for what, n in (("llm 500", errors), ("llm hang", hangs)):
            if n:
                self.injected[what] = n
        llm.error_rate = llm.hang_rate = 0.0
        llm.on_call = None
        gateway.send_behaviour = None
        gateway.on_accepted = None
        if self.stack.proxy is not None:
            self.stack.proxy.mend()

    def timed(self, within: float) -> list[tuple[float, str]]:
        s = self.scenario
        plan = [(at, "kill api") for at in faults.moments(self.rng, s.api_kills, within=within)]
        plan += [(at, "kill sweeper") for at in faults.moments(self.rng, s.sweeper_kills, within=within)]
        plan += [(at, "stop postgres") for at in faults.moments(self.rng, s.postgres_stops, within=within)]
        plan += [(at, "cut sqs") for at in faults.moments(self.rng, s.sqs_cuts, within=within)]
        return sorted(plan)

    def fire(self, what: str) -> None:
        if what == "kill api" and self.stack.kill("api"):
            self._count("kill api")
        elif what == "kill sweeper" and self.stack.kill("sweeper"):
            self._count("kill sweeper")
        elif what == "stop postgres":
            self._count("stop pg")
            self.stack.stop_postgres(POSTGRES_DOWN_SECONDS)
        elif what == "cut sqs":
            self._count("cut sqs")
            self.stack.cut_sqs(SQS_DOWN_SECONDS)


def replay(stack: ChaosStack, tenant: str, trace: list[Bubble], started: float) -> list[int]:
    """Each bubble posted at its moment, as WAHA posts it (retried until chatbatch takes it); the answers."""

    def post(bubble: Bubble) -> int:
        time.sleep(max(0.0, started + bubble.at - time.monotonic()))
        return stack.webhook.post("waha", waha_bubble(tenant, bubble))

    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="customer") as customers:
        return list(customers.map(post, trace))


def run_timed(injector: Injector, plan: list[tuple[float, str]], started: float) -> None:
    for at, what in plan:
        time.sleep(max(0.0, started + at - time.monotonic()))
        injector.fire(what)


def quiet(stack: ChaosStack, tenant: str, trace: list[Bubble]) -> bool:
    """Nothing left to happen: every bubble stored and batched, every job finished, the queue empty."""
    import psycopg2

    try:
        with psycopg2.connect(stack.postgres.dsn, connect_timeout=2) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FILTER (WHERE NOT from_me),"
                " count(*) FILTER (WHERE needs_reply AND NOT is_batched)"
                " FROM ai_chat_messages WHERE session_tok = %s",
                (tenant,),
            )
            stored, waiting = cur.fetchone()
            cur.execute(
                "SELECT count(*) FROM ai_jobs WHERE session_tok = %s AND status NOT IN ('done', 'skipped', 'failed')",
                (tenant,),
            )
            unfinished = cur.fetchone()[0]
        conn.close()
        return stored >= len(trace) and waiting == 0 and unfinished == 0 and stack.queue_is_empty()
    except Exception:  # the database or the queue is down: not quiet
        return False


def wait_for_quiet(stack: ChaosStack, tenant: str, trace: list[Bubble], *, timeout: float) -> bool:
    """Poll until ``quiet`` holds twice a second apart (nothing in flight between), or ``timeout``: False."""
    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        if quiet(stack, tenant, trace):
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= 1.0:
                return True
        else:
            calm_since = None
        time.sleep(0.5)
    return False


def run_scenario(
    stack: ChaosStack, scenario: Scenario, trace: list[Bubble], rng: random.Random, quiet_timeout: float
) -> report.Figures:
    import psycopg2

    tenant = f"chaos-{scenario.name}-{uuid.uuid4().hex[:6]}"
    injector = Injector(stack, scenario, rng)
    started = time.monotonic()
    figures = report.Figures(scenario.name, scenario.faults)
    injector.arm()
    span = max(bubble.at for bubble in trace)
    timed = threading.Thread(target=run_timed, args=(injector, injector.timed(within=span), started), daemon=True)
    timed.start()
    try:
        replay(stack, tenant, trace, started)
        timed.join()
        # The faults stay armed until every job has finished: retries meet them too.
        figures.quiet = wait_for_quiet(stack, tenant, trace, timeout=quiet_timeout)
    finally:
        injector.disarm()
    figures.seconds = time.monotonic() - started
    figures.injected.update(injector.injected)
    figures.expected_duplicates = sum(figures.injected[fault] for fault in faults.EXTRA_COPY_FAULTS)
    with psycopg2.connect(stack.postgres.dsn) as conn, conn.cursor() as cur:
        with stack.gateway.lock:
            sent = list(stack.gateway.sent)
        report.measure(cur, tenant, trace, sent, figures)
    conn.close()
    return figures


def run(
    *,
    seed: int,
    chats: int,
    bursts: int,
    scenarios: list[Scenario],
    quiet_timeout: float = 240.0,
    keep: bool = False,
    out=print,
) -> list[report.Figures]:
    rng = random.Random(seed)
    trace = make_trace(seed, chats, bursts=bursts)
    workdir = Path(tempfile.mkdtemp(prefix="chatbatch-chaos-", dir="/var/tmp"))
    stack = ChaosStack(rng, workdir)
    results: list[report.Figures] = []
    try:
        stack.start()
        out(f"chaos: seed {seed}, {chats} chats x {bursts} bursts = {len(trace)} bubbles per scenario; {workdir}")
        for scenario in scenarios:
            out(f"\n## {scenario.name}: {scenario.faults}")
            figures = run_scenario(stack, scenario, trace, rng, quiet_timeout)
            results.append(figures)
            out(report.table([figures]))
            for example in figures.lost_examples:
                out(f"  lost: {example}")
            if figures.reasons:
                out("  stated reasons: " + "; ".join(f"{r} x{n}" for r, n in figures.reasons.most_common()))
        out("\n## summary\n" + report.table(results))
    finally:
        stack.close()
        if keep or any(not f.ok for f in results):
            out(f"(logs kept in {workdir}: chatbatch-dev.log, pgdata/server.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument(
        "--scenarios",
        default=",".join(s.name for s in faults.SCENARIOS),
        help="comma-separated, in order (default: all but these: "
        + ", ".join(s.name for s in (faults.SMALL, *faults.WITHOUT_ECHO))
        + ")",
    )
    parser.add_argument("--quiet-timeout", type=float, default=240.0, help="seconds to wait for quiet per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, Postgres data)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped like Ctrl-C: everything started is stopped
    results = run(
        seed=args.seed,
        chats=args.chats,
        bursts=args.bursts,
        scenarios=faults.by_name(args.scenarios.split(",")),
        quiet_timeout=args.quiet_timeout,
        keep=args.keep,
    )
    failed = [f.scenario for f in results if not f.ok]
    by_design = sum(f.duplicate_sends for f in results if f.expected_duplicates)
    passed = "every scenario: nothing lost, nothing sent twice" + (
        f" (but {by_design} extra copies where the gateway's echo never or late came, as designed)" if by_design else ""
    )
    print(f"\n{'FAILED: ' + ', '.join(failed) if failed else passed}")
    return 1 if failed else 0
