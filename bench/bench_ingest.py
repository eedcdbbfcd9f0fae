"""Ingest: the api function's webhook path, against the floor of the same database and of Python's imports.

1. Throughput and latency: ``lambda_handler`` called in-process with API Gateway v2 webhook events, N messages
   over M chats, at concurrency 1 and 8. Concurrency means separate processes (like Lambda containers), each
   loading functions/api/app.py itself and holding its own connection. The floor: the same database's raw
   single-row INSERT + COMMIT rate at the same concurrency, on the same kind of connections.
2. Per gateway: the same messages in each real gateway's format through its route (WAHA, Evolution API, the Cloud
   API and GOWA signed as they sign), next to the flat route, in the same run, rounds interleaved; and what the
   gateway's own work costs per message in-process: proving the sender and parsing its JSON into the message.
3. SQL per message: statements the webhook use case sends per message as the database counts them
   (pg_stat_statements: BEGIN and COMMIT count too; bench/statement_counts.py), and the round trips the client makes.
   What the handler adds per message: its latency minus the time spent in the database, at p50 and p99.
(The api function's cold start is its own part: bench/bench_coldstart.py.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import psycopg2.extensions

from bench.report import median, percentile, print_table, ratio

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-webhook-secret"
FLOOR_TABLE = "bench_ingest_floor"
GATEWAYS = ("flat", "waha", "evolution", "meta", "gowa")
ROUTES = {"flat": "/webhook", "waha": "/webhook/waha", "evolution": "/webhook/evolution", "meta": "/webhook/meta"}
ROUTES["gowa"] = "/webhook/gowa"
BUSINESS = "6280000000000"


@dataclass(frozen=True)
class Workload:
    run_id: str  # the session token: keeps this run's rows apart from any other's
    messages: int
    chats: int
    gateway: str = "flat"  # the format the messages arrive in (GATEWAYS)

    def payload(self, index: int) -> dict:
        chat = index % self.chats
        return {
            "session_token": self.run_id,
            "message_id": f"{self.run_id}-{index}",
            "from": f"62812{chat:08d}@s.whatsapp.net",
            "to": f"{BUSINESS}@s.whatsapp.net",
            "body": f"bubble {index} of chat {chat}",
            "push_name": f"Contact {chat}",
            "timestamp": 1_795_694_400 + index,
        }

    def request(self, index: int) -> tuple[str, dict[str, str], bytes]:
        """Message ``index`` as the gateway posts it: route, headers (its proof of origin), body."""
        flat = self.payload(index)
        body = json.dumps(_GATEWAY_FORMATS[self.gateway](flat), separators=(",", ":")).encode()
        headers = {"content-type": "application/json"}
        if self.gateway in ("meta", "gowa"):
            digest = hmac.new(BENCH_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers["x-hub-signature-256"] = f"sha256={digest}"
        else:
            headers["x-webhook-secret"] = BENCH_SECRET
        return ROUTES[self.gateway], headers, body


def _waha(m: dict) -> dict:
    user = m["from"].replace("@s.whatsapp.net", "@c.us")
    return {
        "event": "message",
        "session": m["session_token"],
        "me": {"id": f"{BUSINESS}@c.us", "pushName": "Shop"},
        "payload": {
            "id": f"false_{user}_{m['message_id']}",
            "timestamp": m["timestamp"],
            "from": user,
            "fromMe": False,
            "to": f"{BUSINESS}@c.us",
            "body": m["body"],
            "hasMedia": False,
            "_data": {"type": "chat", "notifyName": m["push_name"]},
        },
        "engine": "WEBJS",
    }


def _evolution(m: dict) -> dict:
    return {
        "event": "messages.upsert",
        "instance": m["session_token"],
        "sender": m["to"],
        "data": {
            "key": {"remoteJid": m["from"], "fromMe": False, "id": m["message_id"]},
            "pushName": m["push_name"],
            "message": {"conversation": m["body"]},
            "messageType": "conversation",
            "messageTimestamp": m["timestamp"],
        },
    }


def _meta(m: dict) -> dict:
    user = m["from"].split("@")[0]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": BUSINESS, "phone_number_id": m["session_token"]},
        "contacts": [{"profile": {"name": m["push_name"]}, "wa_id": user}],
        "messages": [
            {
                "from": user,
                "id": m["message_id"],
                "timestamp": str(m["timestamp"]),
                "type": "text",
                "text": {"body": m["body"]},
            }
        ],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }


def _gowa(m: dict) -> dict:
    at = datetime.fromtimestamp(m["timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "event": "message",
        "device_id": m["to"],
        "session_id": m["session_token"],
        "payload": {
            "id": m["message_id"],
            "chat_id": m["from"],
            "from": m["from"],
            "from_name": m["push_name"],
            "timestamp": at,
            "is_from_me": False,
            "body": m["body"],
        },
    }


_GATEWAY_FORMATS = {"flat": lambda m: m, "waha": _waha, "evolution": _evolution, "meta": _meta, "gowa": _gowa}


@dataclass(frozen=True)
class Share:
    """What one process (container) does: its slice of the workload."""

    database_url: str
    workload: Workload
    worker: int
    workers: int

    def indexes(self) -> range:
        return range(self.worker, self.workload.messages, self.workers)


@dataclass(frozen=True)
class Timing:
    started: float  # time.monotonic(): one clock for every process on the machine
    finished: float
    latencies: list[float]
    database: list[float] | None = None  # per message: seconds spent in the database (the handler's share is the rest)
    # CPU seconds over the run: this process's, and its database backend's (None: the server's /proc is not ours)
    cpu: tuple[float, float | None] | None = None


def run(ctx) -> None:
    added = _measure_throughput(ctx)
    _measure_handler_parts(ctx, added)
    _measure_gateways(ctx)
    _count_sql(ctx.database_url)


def _measure_throughput(ctx) -> list[float]:
    """The handler against the floor; returns what the handler added per message at the lowest concurrency."""
    messages, chats = ctx.scale(2_000, 40), ctx.scale(200, 8)
    concurrencies = (2,) if ctx.quick else (1, 8)  # quick: a smoke run, one concurrent configuration
    _create_floor_table(ctx.database_url)
    rounds = ctx.scale(3, 1)
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    rows, cpu_rows, lowest = [], [], None
    for workers in concurrencies:
        handler_rates, floor_rates, handler, floor, added = [], [], [], [], []
        handler_cpu, floor_cpu = [], []
        for _ in range(rounds):  # alternated, so a noisy neighbour hits both sides alike
            workload = Workload(f"bench-{uuid.uuid4().hex[:10]}", messages, chats)
            handled = _in_processes(_handle_webhooks, ctx.database_url, workload, workers)
            inserted = _in_processes(_insert_and_commit, ctx.database_url, workload, workers)
            _check_stored(ctx.database_url, workload)
            handler_rates.append(_rate(handled, messages))
            floor_rates.append(_rate(inserted, messages))
            handler += _all(handled)
            floor += _all(inserted)
            added += _handler_share(handled)
            handler_cpu.append(_cpu_per_message(handled, messages))
            floor_cpu.append(_cpu_per_message(inserted, messages))
        handler_rate, floor_rate = median(handler_rates), median(floor_rates)
        cpu_rows.append([workers, *_cpu_columns(handler_cpu), *_cpu_columns(floor_cpu)])
        rows.append(
            [
                workers,
                messages,
                chats,
                handler_rate,
                floor_rate,
                ratio(handler_rate, floor_rate),
                # each round's handler and floor ran back to back: a neighbour's burst hits one pair, not the median
                f"{median([h / f for h, f in zip(handler_rates, floor_rates)]):.2f}x",
                _ms(percentile(handler, 50)),
                _ms(percentile(handler, 99)),
                _ms(percentile(floor, 50)),
                _ms(percentile(floor, 99)),
                percentile(added, 50) * 1e6,
                percentile(added, 99) * 1e6,
            ]
        )
        lowest = added if lowest is None else lowest
    print_table(
        f"Ingest: api lambda_handler in-process, {messages:,} webhooks over {chats} chats "
        f"(concurrency = processes; rates: median of {rounds} rounds) vs raw single-row INSERT+COMMIT "
        f"(1-min load average before: {load_before:.1f}); handler - db: what the handler adds per message, its "
        "latency minus its time in the database",
        [
            "concurrency",
            "messages",
            "chats",
            "handler msg/s",
            "floor insert/s",
            "handler/floor",
            "per-round ratio (median)",
            "handler p50 ms",
            "handler p99 ms",
            "floor p50 ms",
            "floor p99 ms",
            "handler - db p50 µs",
            "handler - db p99 µs",
        ],
        rows,
    )
    print_table(
        "Ingest: CPU per message in the same rounds (µs, median of rounds): the processes' own (the handler's Python "
        "and psycopg2, or the floor's) and their database backends' (read from /proc: the bench's own server); on "
        "this machine both share its cores, so at concurrency 8 the rate follows the sum",
        [
            "concurrency",
            "handler process µs",
            "handler's backend µs",
            "handler total µs",
            "floor process µs",
            "floor's backend µs",
            "floor total µs",
        ],
        cpu_rows,
    )
    return lowest


def _cpu_columns(per_round: list[tuple[float, float | None]]) -> list:
    own = median([own for own, _ in per_round])
    if any(backend is None for _, backend in per_round):
        return [own, "n/a", "n/a"]
    backend = median([backend for _, backend in per_round])
    return [own, backend, median([own + backend for own, backend in per_round])]


def _measure_handler_parts(ctx, added: list[float]) -> None:
    """What the handler adds per message, by part: each part timed in-process per call (as the api function runs
    it: its log line at INFO, as deployed, written to /dev/null); the rest is the api's front (routing, the request and
    its answer), proving the sender and the handler's decorators (logger, tracer, metrics)."""
    import logging

    from aws_lambda_powertools import Logger, Metrics
    from chatbatch.api.webhook_request import count_ingest, decode_json
    from chatbatch.domain.messages import parse_webhook
    from chatbatch.services.ingest import IngestResult

    samples = ctx.scale(5_000, 200)
    workload = Workload("bench-parts", samples, 50)
    bodies = [workload.request(i)[2] for i in range(samples)]
    devnull = open(os.devnull, "w")
    log = Logger(service="bench", level="INFO", logger_handler=logging.StreamHandler(devnull))
    metrics = Metrics(namespace="bench")
    result = IngestResult("accepted", "m", "c", 1)
    stdout, sys.stdout = sys.stdout, devnull  # EMF metrics are printed

    def metrics_of_one() -> None:
        count_ingest(result)
        metrics.flush_metrics()

    try:
        parts = {
            "validation: JSON + the message's rules (parse_webhook)": [
                lambda b=b: parse_webhook(decode_json(b)) for b in bodies
            ],
            # A routine message's line is DEBUG (api/webhooks.py): at INFO, as deployed, it is a level check; the
            # line a duplicate or a takeover writes at INFO is timed next to it.
            "logging: a routine message's line (DEBUG, not written at INFO)": [
                lambda: log.debug("webhook message stored", extra=dict(_LOGGED, status="accepted"))
            ]
            * samples,
            "logging: a duplicate's or a takeover's line (INFO, JSON; not per message)": [
                lambda: log.info("webhook message stored", extra=dict(_LOGGED, status="duplicate"))
            ]
            * samples,
            "metrics: MessagesReceived + the EMF flush": [metrics_of_one] * samples,
        }
        timed = {part: _each_call(calls) for part, calls in parts.items()}
    finally:
        sys.stdout = stdout
        devnull.close()
    rows = [[part, percentile(t, 50) * 1e6, percentile(t, 99) * 1e6] for part, t in timed.items()]
    per_message = [t for part, t in timed.items() if "not per message" not in part]
    rest = percentile(added, 50) - sum(percentile(t, 50) for t in per_message)
    rows.append(
        [
            "the rest: the front (routing, request, answer), the sender's proof, the decorators (p50 by difference)",
            rest * 1e6,
            "n/a",
        ]
    )
    rows.append(
        [
            "handler - db, measured in the run above (lowest concurrency)",
            percentile(added, 50) * 1e6,
            percentile(added, 99) * 1e6,
        ]
    )
    print_table(
        "Ingest: what the handler adds per message, by part (in-process, per call)",
        ["part", "p50 µs", "p99 µs"],
        rows,
    )


_LOGGED = {"from_me": False, "message_type": "text", "is_group": False, "chat_room_id": 1, "echo": False}


def _each_call(calls: list[Callable[[], object]]) -> list[float]:
    seconds = []
    for call in calls:
        begun = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - begun)
    return seconds


def _measure_gateways(ctx) -> None:
    messages, chats = ctx.scale(1_000, 20), ctx.scale(100, 4)
    rounds = ctx.scale(3, 1)
    load_before = os.getloadavg()[0]
    rates: dict[str, list[float]] = {g: [] for g in GATEWAYS}
    latencies: dict[str, list[float]] = {g: [] for g in GATEWAYS}
    for _ in range(rounds):  # interleaved: a noisy neighbour hits every gateway alike
        for gateway in GATEWAYS:
            workload = Workload(f"bench-{gateway}-{uuid.uuid4().hex[:8]}", messages, chats, gateway)
            handled = _in_processes(_handle_webhooks, ctx.database_url, workload, 1)
            _check_stored(ctx.database_url, workload)
            rates[gateway].append(_rate(handled, messages))
            latencies[gateway] += _all(handled)
    costs = _gateway_costs(ctx.scale(2_000, 50))
    flat_rate = median(rates["flat"])
    rows = []
    for gateway in GATEWAYS:
        p50 = percentile(latencies[gateway], 50)
        auth, parse = costs[gateway]
        rows.append(
            [
                gateway,
                ROUTES[gateway],
                median(rates[gateway]),
                ratio(median(rates[gateway]), flat_rate),
                _ms(p50),
                _ms(percentile(latencies[gateway], 99)),
                auth * 1e6,
                parse * 1e6,
                f"{(auth + parse) / p50:.1%}",
            ]
        )
    print_table(
        f"Ingest per gateway: {messages:,} webhooks over {chats} chats through each route, concurrency 1 (msg/s: "
        f"median of {rounds} interleaved rounds; 1-min load average before: {load_before:.1f}); the gateway's own "
        "work per message in-process (proving the sender: shared secret or HMAC-SHA256; parsing: JSON + the "
        "gateway's parser and the address rules) and its share of the handler's p50",
        [
            "gateway",
            "route",
            "msg/s",
            "vs flat",
            "p50 ms",
            "p99 ms",
            "auth µs",
            "parse µs",
            "auth+parse / p50",
        ],
        rows,
    )


def _gateway_costs(samples: int) -> dict[str, tuple[float, float]]:
    """Per gateway: seconds per message to prove the sender and to parse the body (best of three passes)."""
    from chatbatch.api.webhook_request import decode_json
    from chatbatch.domain.inbound import evolution, gowa, meta, signatures, waha
    from chatbatch.domain.messages import parse_webhook

    parsers = {"flat": parse_webhook, "waha": waha.parse, "evolution": evolution.parse, "meta": meta.parse}
    parsers["gowa"] = gowa.parse
    key = BENCH_SECRET.encode()
    costs = {}
    for gateway in GATEWAYS:
        requests = [Workload("bench-cost", samples, 50, gateway).request(i) for i in range(samples)]
        if gateway in ("meta", "gowa"):
            auth = [
                lambda h=h, b=b: signatures.hub_signature_matches(key, b, h["x-hub-signature-256"])
                for _, h, b in requests
            ]
        else:
            auth = [lambda h=h: signatures.secret_matches(key, h["x-webhook-secret"]) for _, h, _ in requests]
        parse = [lambda b=b: parsers[gateway](decode_json(b)) for _, _, b in requests]
        costs[gateway] = (_per_call(auth), _per_call(parse))
    return costs


def _per_call(calls: list[Callable[[], object]]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for call in calls:
            call()
        best = min(best, (time.perf_counter() - started) / len(calls))
    return best


# --- throughput and latency -------------------------------------------------------------------------------


def _in_processes(
    target: Callable[[Share, object, object], None], database_url: str, workload: Workload, workers: int
) -> list[Timing]:
    """Run ``target`` in ``workers`` fresh processes; each gets ready, then all start together."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter per container, as Lambda has
    ready = spawn.Barrier(workers)
    results = spawn.Queue()
    processes = [
        spawn.Process(target=target, args=(Share(database_url, workload, i, workers), ready, results))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    timings = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(60)
        if process.exitcode != 0:
            raise RuntimeError(f"a benchmark process failed (exit code {process.exitcode})")
    failures = [t for t in timings if isinstance(t, str)]
    if failures:
        raise RuntimeError(f"a benchmark process failed: {failures[0]}")
    return timings


def _handle_webhooks(share: Share, ready, results) -> None:
    """One warm api container: its connection open (a first /health/deep), then its share of the webhooks."""
    try:
        os.environ.update(
            DATABASE_URL=share.database_url,
            WEBHOOK_SECRET=BENCH_SECRET,
            META_APP_SECRET=BENCH_SECRET,
            GOWA_WEBHOOK_SECRET=BENCH_SECRET,
            POWERTOOLS_LOG_LEVEL="INFO",  # as template.yaml deploys it: each message's log line is written
        )
        sys.stdout = open(os.devnull, "w")  # the function's logs and EMF metrics: written, as in Lambda, unread
        warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)  # /health/deep has none
        from chatbatch_local.lambda_runtime import LambdaContext, http_api_event, load_function

        api = load_function("api")
        events = [
            http_api_event("POST", path, "", headers, body)
            for path, headers, body in map(share.workload.request, share.indexes())
        ]
        warm = api.lambda_handler(http_api_event("GET", "/health/deep", "", {}, b""), LambdaContext())
        if warm["statusCode"] != 200:
            raise RuntimeError(f"/health/deep answered {warm}")

        def handle(event: dict) -> None:
            response = api.lambda_handler(event, LambdaContext(function_name="api"))
            if response["statusCode"] != 200 or json.loads(response["body"])["status"] != "accepted":
                raise RuntimeError(f"webhook not accepted: {response}")

        spent: list[float] = []
        _clock_the_database(spent)
        from chatbatch.db import database_for
        from chatbatch.settings import ApiSettings, get_settings

        backend = _local_backend(database_for(get_settings(ApiSettings)).connection())
        results.put(_timed(events, handle, ready, spent, backend=backend))
    except BaseException as exc:  # reported to the parent, which fails the run
        results.put(f"{type(exc).__name__}: {exc}")
        raise


def _insert_and_commit(share: Share, ready, results) -> None:
    """The floor: one single-row INSERT and its COMMIT per message, on a connection like the function's."""
    try:
        conn = psycopg2.connect(share.database_url)
        rows = [(share.workload.run_id, share.workload.payload(i)["body"]) for i in share.indexes()]

        def insert(row: tuple[str, str]) -> None:
            with conn.cursor() as cur:
                cur.execute(f"INSERT INTO {FLOOR_TABLE} (session_tok, body) VALUES (%s, %s)", row)
            conn.commit()

        results.put(_timed(rows, insert, ready, backend=_local_backend(conn)))
        conn.close()
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")
        raise


def _timed(
    items: list,
    call: Callable[[object], None],
    ready,
    database: list[float] | None = None,
    *,
    backend: int | None = None,
) -> Timing:
    """``call`` on every item, each timed; ``database``: seconds each call spent in the database (the caller's
    clock adds to its last element); ``backend``: the pid of the connection's server process, whose CPU is read
    from /proc when the server runs on this machine (the bench's own)."""
    ready.wait(timeout=300)
    latencies = []
    cpu, backend_cpu = time.process_time(), _cpu_of(backend)
    started = time.monotonic()
    for item in items:
        if database is not None:
            database.append(0.0)
        begun = time.perf_counter()
        call(item)
        latencies.append(time.perf_counter() - begun)
    finished = time.monotonic()
    backend_after = _cpu_of(backend)
    spent_backend = None if backend_cpu is None or backend_after is None else backend_after - backend_cpu
    return Timing(started, finished, latencies, database, (time.process_time() - cpu, spent_backend))


def _local_backend(conn) -> int | None:
    """The pid of ``conn``'s server process when the server runs on this machine (a loopback or Unix socket
    connection to a process named postgres), else None."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), coalesce(host(inet_server_addr()), 'local')")
        pid, address = cur.fetchone()
    conn.commit()
    try:
        named = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    return pid if address in ("local", "127.0.0.1", "::1") and named.startswith("postgres") else None


def _cpu_of(pid: int | None) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, or None when this machine has no such process."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_per_message(timings: list[Timing], messages: int) -> tuple[float, float | None]:
    """µs of CPU per message: the processes' (the handler's or the floor's Python) and their database backends'."""
    own = sum(t.cpu[0] for t in timings) / messages * 1e6
    backends = [t.cpu[1] for t in timings]
    return own, None if None in backends else sum(backends) / messages * 1e6


def _clock_the_database(spent: list[float]) -> None:
    """Add the time every unit of work spends in the database (its statements and commit) to ``spent[-1]``."""
    from chatbatch.db import Database

    run = Database._run

    def timed_run(self, work, autocommit):
        begun = time.perf_counter()
        try:
            return run(self, work, autocommit)
        finally:
            spent[-1] += time.perf_counter() - begun

    Database._run = timed_run


def _rate(timings: list[Timing], messages: int) -> float:
    return messages / (max(t.finished for t in timings) - min(t.started for t in timings))


def _all(timings: list[Timing]) -> list[float]:
    return [latency for t in timings for latency in t.latencies]


def _handler_share(timings: list[Timing]) -> list[float]:
    """Per message: the handler's latency minus its time in the database (validation, logging, metrics, resolver)."""
    return [latency - db for t in timings for latency, db in zip(t.latencies, t.database or ())]


def _ms(seconds: float) -> float:
    return seconds * 1000


def _create_floor_table(database_url: str) -> None:
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, session_tok text NOT NULL,"
                " body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
    finally:
        conn.close()


def _check_stored(database_url: str, workload: Workload) -> None:
    """The measured run did its work: every message in all three tables, one room per chat."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT (SELECT count(*) FROM ai_chat_messages WHERE session_tok = %(s)s),"
                "       (SELECT count(*) FROM chat_rooms WHERE user_token = %(s)s),"
                "       (SELECT count(*) FROM chat_messages WHERE user_token = %(s)s),"
                "       (SELECT sum(unread_count) FROM chat_rooms WHERE user_token = %(s)s)",
                {"s": workload.run_id},
            )
            stored = cur.fetchone()
    finally:
        conn.close()
    expected = (workload.messages, workload.chats, workload.messages, workload.messages)
    if stored != expected:
        raise AssertionError(f"stored (messages, rooms, history, unread) {stored}, expected {expected}")


# --- SQL per message ----------------------------------------------------------------------------------------


class _CountingCursor(psycopg2.extensions.cursor):
    statements = 0

    def execute(self, query, vars=None):
        _CountingCursor.statements += 1
        return super().execute(query, vars)


class _CountingConnection(psycopg2.extensions.connection):
    transactions = 0

    def commit(self) -> None:
        _CountingConnection.transactions += 1
        super().commit()

    def rollback(self) -> None:
        _CountingConnection.transactions += 1
        super().rollback()


def _count_sql(database_url: str) -> None:
    """Statements per message by case, as pg_stat_statements counts them, on a warm container's connection."""
    from chatbatch.db import Database
    from chatbatch.domain.messages import parse_webhook
    from chatbatch.services.ingest import ingest_message

    from bench.statement_counts import StatementCounter, Unavailable

    try:
        counter: StatementCounter | None = StatementCounter(database_url)
        note = None
    except Unavailable as why:
        counter, note = None, str(why)

    def params() -> dict:
        own = counter.connect_params() if counter else {"dsn": database_url}
        return {**own, "connection_factory": _CountingConnection, "cursor_factory": _CountingCursor}

    per_case = 10
    workload = Workload(f"bench-sql-{uuid.uuid4().hex[:10]}", messages=2 * per_case, chats=per_case)
    own = [_own_message(workload, i) for i in range(per_case)]
    cases = [  # (case, payloads, the bound: statements per message)
        ("a chat's first message", [workload.payload(i) for i in range(per_case)], "≤ 2"),
        ("the chat's next message", [workload.payload(per_case + i) for i in range(per_case)], "≤ 2"),
        ("a retry of that (duplicate)", [workload.payload(per_case + i) for i in range(per_case)], "1"),
        ("the business's own message (takeover)", own, "≤ 2"),
        ("a retry of the business's (duplicate)", own, "1"),
    ]
    db = Database(params)
    ingest_message(db, parse_webhook(_own_message(workload, -1) | {"from_me": False}), reply_groups=False)  # warm
    rows = []
    for case, payloads, bound in cases:
        _CountingCursor.statements = _CountingConnection.transactions = 0

        def ingest_all(payloads=payloads) -> None:
            for payload in payloads:
                ingest_message(db, parse_webhook(payload), reply_groups=False)

        counted = counter.count(ingest_all) / len(payloads) if counter else "n/a"
        # psycopg2 opens each transaction with its own BEGIN round trip; COMMIT is one more.
        trips = (_CountingCursor.statements + 2 * _CountingConnection.transactions) / len(payloads)
        rows.append([case, counted, bound, trips])
    db.close()
    if counter:
        counter.close()
    print_table(
        f"Ingest: SQL per webhook message (use case the handler calls, a warm container, {per_case} messages per case;"
        " statements as pg_stat_statements counts them, BEGIN and COMMIT included; round trips the client makes)",
        ["case", "statements per message", "bound", "round trips per message"],
        rows,
    )
    if note:
        print(f"(statements not counted: {note})")


def _own_message(workload: Workload, index: int) -> dict:
    """A message the business's own number sent in chat ``index`` (a human on the business side)."""
    contact = workload.payload(index)
    return contact | {
        "message_id": f"{workload.run_id}-own-{index}",
        "from": contact["to"],
        "to": contact["from"],
        "body": f"a human answers chat {index}",
        "from_me": True,
    }
