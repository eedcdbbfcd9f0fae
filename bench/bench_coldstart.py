"""Cold starts, each in a fresh interpreter (a new Lambda container), several runs, min / median / max:

- the api function's module import with tracing off and on, next to the floor (``import aws_lambda_powertools,
  psycopg2, pydantic``) and the floor + Powertools ``Tracer()`` measured in the same run, as ratios (issue 13: at
  most 1.3x each);
- the first webhook: import + one ``POST /webhook`` including the first database connection, tracing off and on;
- each function's peak RSS after its import and through its first invocation (api: a webhook;
  sweeper: one scheduled invocation on a local SQS; worker: one job with the echo LLM and the log gateway; migrate:
  a CloudFormation Create answered to a local URL), with its import and first-invocation times: what each
  function's MemorySize in template.yaml is chosen from (docs/scale.md, "Memory and cold start").

Peak RSS is the process's VmHWM (/proc/self/status), not ``getrusage().ru_maxrss``: Linux carries ru_maxrss over
from the parent that spawned the probe (vfork + exec), so it would report the benchmark's own size.

"Tracing on" is as in Lambda: LAMBDA_TASK_ROOT set, POWERTOOLS_TRACE_DISABLED unset, a sampled _X_AMZN_TRACE_ID;
segments go to an X-Ray daemon address nobody listens on (UDP, never waited for).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import median, print_table, ratio

REPO_ROOT = Path(__file__).resolve().parents[1]
BUDGET = 1.3  # issue 13: the api's import within 1.3x of its floor

# Each probe runs in a fresh interpreter: {prepare} is untimed (what Lambda hands the handler: the event), {load}
# is the import, {invoke} the first invocation; it prints its times and peak RSS as one JSON line.
_PROBE = """
import json, os, sys, time
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event, load_function
{prepare}
started = time.perf_counter()
{load}
imported = time.perf_counter()
def peak_rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
rss_import = peak_rss_kb()
{invoke}
invoked = time.perf_counter()
print(json.dumps({{"import": imported - started, "first": invoked - started,
                  "rss_import_kb": rss_import, "rss_first_kb": peak_rss_kb()}}))
"""
_FLOOR = "import aws_lambda_powertools, psycopg2, pydantic"
_TRACER = _FLOOR + "\nfrom aws_lambda_powertools import Tracer\nTracer()"
_WEBHOOK_EVENT = """
body = json.dumps({"session_token": "bench-cold-" + os.environ["BENCH_RUN"], "message_id": os.environ["BENCH_RUN"],
                   "from": "6281234567890@s.whatsapp.net", "to": "6280000000000@s.whatsapp.net", "body": "Halo"})
event = http_api_event("POST", "/webhook", "", {"content-type": "application/json",
                       "x-webhook-secret": os.environ["WEBHOOK_SECRET"]}, body.encode())
"""
_WEBHOOK = """
answer = api.lambda_handler(event, LambdaContext(function_name="api"))
assert answer["statusCode"] == 200 and json.loads(answer["body"])["status"] == "accepted", answer
"""
_SWEEPER = """
event = json.load(open("events/sweeper_scheduled.json"))
"""
_SWEEP = """
summary = sweeper.lambda_handler(event, LambdaContext(function_name="sweeper", timeout_seconds=5.5))
assert summary["sweeps"] >= 1, summary
"""
_WORKER = """
event = json.loads(os.environ["BENCH_EVENT"])
"""
_REPLY = """
assert worker.lambda_handler(event, LambdaContext(function_name="worker", timeout_seconds=90)) == {
    "batchItemFailures": []}
"""
_MIGRATE = """
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
class Bucket(BaseHTTPRequestHandler):
    def do_PUT(self):
        self.server.answer = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
bucket = HTTPServer(("127.0.0.1", 0), Bucket)
threading.Thread(target=bucket.handle_request, daemon=True).start()
event = {**json.load(open("events/migrate_create.json")), "ResponseURL": f"http://127.0.0.1:{bucket.server_port}/r"}
"""
_MIGRATION = """
migrate.lambda_handler(event, LambdaContext(function_name="migrate", timeout_seconds=300))
assert bucket.answer["Status"] == "SUCCESS", bucket.answer
"""


@dataclass
class Runs:
    label: str
    samples: list[dict]

    def times(self, key: str) -> list[float]:
        return [sample[key] for sample in self.samples]

    def median(self, key: str) -> float:
        return median(self.times(key))

    def spread(self, key: str) -> list[str]:
        values = self.times(key)
        return [_ms(min(values)), _ms(median(values)), _ms(max(values))]

    def peak_mb(self, key: str) -> float:
        return max(self.times(key)) / 1024


def run(ctx) -> None:
    from chatbatch_local.sqs import start_local_sqs
    from chatbatch_local.stack import prepare_environment

    samples = ctx.scale(7, 2)
    saved = dict(os.environ)
    prepare_environment(ctx.database_url)  # `make dev`'s settings: echo LLM, log gateway, the dev secrets
    queues = start_local_sqs()
    try:
        off, on = _environment(tracing=False), _environment(tracing=True)
        queue_env = {
            "QUEUE_URL": queues.queue_url,
            "SQS_ENDPOINT_URL": queues.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "SWEEP_SAFETY_MARGIN_SECONDS": "5",
        }
        webhook = {"prepare": _WEBHOOK_EVENT, "load": 'api = load_function("api")', "invoke": _WEBHOOK}
        functions = {
            "sweeper": (queue_env, {"prepare": _SWEEPER, "invoke": _SWEEP}),
            "worker": (
                {},
                {
                    "prepare": _WORKER,
                    "invoke": _REPLY,
                    "per_run": lambda: {"BENCH_EVENT": json.dumps(_one_job(ctx.database_url))},
                },
            ),
            "migrate": ({}, {"prepare": _MIGRATE, "invoke": _MIGRATION}),
        }
        probes = [
            Probe("floor", off, load=_FLOOR),
            Probe("floor + Tracer()", on, load=_TRACER),
            Probe("api", off, **webhook),
            Probe("api, tracing on", on, **webhook),
        ]
        for name, (extra_env, how) in functions.items():
            load = f'{name} = load_function("{name}")'
            probes += [
                Probe(name, {**off, **extra_env}, load=load, **how),
                Probe(f"{name}, tracing on", {**on, **extra_env}, load=load, **how),
            ]
        baseline = os.environ.get("BENCH_COLDSTART_BASELINE")
        if baseline:  # another checkout (e.g. `git worktree add /tmp/base main`): its layer and tooling first
            path = {"PYTHONPATH": f"{baseline}/layers/common{os.pathsep}{baseline}/local"}
            probes += [
                Probe("baseline api, tracing off", {**off, **path}, root=Path(baseline), **webhook),
                Probe("baseline api, tracing on", {**on, **path}, root=Path(baseline), **webhook),
            ]
        runs = dict(zip((probe.label for probe in probes), _measure(probes, samples)))
        floor, floor_tracer, api_off, api_on = (
            runs[label] for label in ("floor", "floor + Tracer()", "api", "api, tracing on")
        )
        _print_cold_start(samples, floor, floor_tracer, api_off, api_on)
        if baseline:
            _print_against_baseline(
                baseline,
                samples,
                {"off": (api_off, runs["baseline api, tracing off"]), "on": (api_on, runs["baseline api, tracing on"])},
            )
        _print_memory(samples, [(label, runs[label]) for label in runs if not label.startswith("baseline")])
    finally:
        queues.stop()
        os.environ.clear()
        os.environ.update(saved)


def _environment(*, tracing: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_X_AMZN", "LAMBDA_TASK_ROOT"))}
    env.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_SERVICE_NAME="chatbatch-bench")
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    if tracing:
        env.update(
            LAMBDA_TASK_ROOT=str(REPO_ROOT),
            _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2",  # nobody listens: UDP, never waited for
        )
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


@dataclass
class Probe:
    """One kind of fresh interpreter: its environment, what it imports, how it is first invoked."""

    label: str
    env: dict[str, str]
    load: str
    prepare: str = ""
    invoke: str = ""
    per_run: Callable[[], dict[str, str]] = dict
    root: Path = REPO_ROOT

    def run(self) -> dict:
        code = _PROBE.format(prepare=self.prepare, load=self.load, invoke=self.invoke)
        return _probe(code, {**self.env, "BENCH_RUN": uuid.uuid4().hex, **self.per_run()}, self.root)


def _measure(probes: list[Probe], samples: int) -> list[Runs]:
    """Round after round, every probe once per round: a machine whose load drifts slows all of them alike, so the
    ratios hold. The first round is not a sample: it fills the bytecode caches a deployed package has."""
    rounds = [[probe.run() for probe in probes] for _ in range(samples + 1)][1:]
    return [Runs(probe.label, [sample[i] for sample in rounds]) for i, probe in enumerate(probes)]


def _probe(code: str, env: dict[str, str], root: Path = REPO_ROOT) -> dict:
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"a cold-start probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _one_job(database_url: str) -> dict:
    """An SQS event for one ready job: a bubble through the api function (in this process), batched as a sweep."""
    from chatbatch.db import Database
    from chatbatch_local.lambda_runtime import load_function

    from bench.bench_worker_batch import _event, _jobs

    db = Database(lambda: {"dsn": database_url})
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the api function's EMF metrics
            jobs = _jobs(load_function("api"), db, f"bench-cold-{uuid.uuid4().hex[:6]}", 1)
    finally:
        db.close()
    return _event(jobs)


def _print_cold_start(samples: int, floor: Runs, floor_tracer: Runs, api_off: Runs, api_on: Runs) -> None:
    rows = [
        ["floor: import aws_lambda_powertools, psycopg2, pydantic", *floor.spread("import"), "1.00x", "", ""],
        [
            "floor + Tracer() (tracing on)",
            *floor_tracer.spread("import"),
            ratio(floor_tracer.median("import"), floor.median("import")),
            "",
            "",
        ],
    ]
    for runs, baseline, name, tracing in (
        (api_off, floor, "floor", "off"),
        (api_on, floor_tracer, "floor + Tracer", "on"),
    ):
        rows.append(
            [
                f"api, tracing {tracing}: import (vs {name})",
                *runs.spread("import"),
                ratio(runs.median("import"), baseline.median("import")),
                f"≤ {BUDGET:.1f}x",
                "yes" if runs.median("import") <= BUDGET * baseline.median("import") else "NO",
            ]
        )
        rows.append([f"api, tracing {tracing}: import + first webhook (DB connect)", *runs.spread("first"), "", "", ""])
    print_table(
        f"Cold start of the api function: fresh interpreters, {samples} runs each (ratios of medians)",
        ["process", "min ms", "median ms", "max ms", "vs its floor", "budget", "within"],
        rows,
    )


def _print_against_baseline(baseline: str, samples: int, pairs: dict[str, tuple[Runs, Runs]]) -> None:
    rows = []
    for tracing, (ours, before) in pairs.items():
        for key, what in (("import", "import"), ("first", "import + first webhook")):
            rows.append(
                [
                    f"{what}, tracing {tracing}",
                    _ms(before.median(key)),
                    _ms(ours.median(key)),
                    ratio(ours.median(key), before.median(key)),
                ]
            )
    print_table(
        f"The api function against the checkout in {baseline} (medians of {samples})",
        ["process", "baseline ms", "this checkout ms", "this / baseline"],
        rows,
    )


def _print_memory(samples: int, functions: list[tuple[str, Runs]]) -> None:
    # The min is the run least slowed by other work on the machine: the best estimate of one core's CPU time, which
    # docs/scale.md scales by Lambda's CPU share per MemorySize.
    print_table(
        f"Peak RSS and cold start per function (tracing off unless said; {samples} runs; RSS: the highest; one "
        "process on one core)",
        [
            "function",
            "RSS after import MB",
            "RSS through 1st invocation MB",
            "import ms (median)",
            "import + 1st invocation ms (min)",
            "(median)",
        ],
        [
            [
                name,
                runs.peak_mb("rss_import_kb"),
                runs.peak_mb("rss_first_kb"),
                _ms(runs.median("import")),
                _ms(min(runs.times("first"))),
                _ms(runs.median("first")),
            ]
            for name, runs in functions
        ],
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"
