"""``make dev``: the whole pipeline on this machine, no AWS account.

Postgres (DATABASE_URL, else a persistent local cluster in .dev/pgdata), migrations, the api function
behind a local HTTP server on PORT that hands it real API Gateway v2 events, a local SQS (moto), the sweeper
function invoked back to back (its own loop sweeps every SWEEP_INTERVAL_SECONDS) and the worker polling the
queue (chatbatch_local.worker_poller); api, sweeper and worker each in a process of its own, started again when
it dies, as Lambda starts a new container (the stack file names each one's current pid). Ctrl-C stops what it
started.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from chatbatch.errors import ConfigurationError

from chatbatch_local.function_host import RemoteFunction
from chatbatch_local.http_server import make_server
from chatbatch_local.lambda_runtime import REPO_ROOT
from chatbatch_local.postgres import LocalPostgres, free_port
from chatbatch_local.processes import run_module_until
from chatbatch_local.sqs import start_local_sqs
from chatbatch_local.sweeper import sweeper_loop
from chatbatch_local.worker_poller import poll_worker_queue

DEV_WEBHOOK_SECRET = "dev-webhook-secret"
# The real gateways' own proofs for local runs (docs/gateways.md); the events/ samples are signed with them.
DEV_GATEWAY_SECRETS = {
    "META_APP_SECRET": "dev-meta-app-secret",
    "META_VERIFY_TOKEN": "dev-meta-verify-token",
    "GOWA_WEBHOOK_SECRET": "dev-gowa-webhook-secret",
}
# Where a running `make dev` says how to reach it (for `make demo`); tests point it elsewhere.
STACK_FILE = Path(os.environ.get("CHATBATCH_STACK_FILE") or REPO_ROOT / ".dev" / "stack.json")


def prepare_environment(database_url: str) -> None:
    """Settings for the local stack; anything already in the environment wins."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)
    for name, value in DEV_GATEWAY_SECRETS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "chatbatch")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "chatbatch-local")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")
    os.environ.setdefault("ENVIRONMENT", "local")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def start_database(stack: ExitStack, data_dir: str | None) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    cluster = LocalPostgres(Path(data_dir) if data_dir else REPO_ROOT / ".dev" / "pgdata").start()
    stack.callback(cluster.stop)
    print(f"postgres: {cluster.dsn} (data in {cluster.data_dir})", flush=True)
    return cluster.dsn


def start_queues(stack: ExitStack) -> None:
    """SQS for the sweeper and the worker: QUEUE_URL (and SQS_ENDPOINT_URL) if set, else a moto server."""
    if os.environ.get("QUEUE_URL"):
        return
    queues = start_local_sqs()
    stack.callback(queues.stop)
    os.environ["QUEUE_URL"] = queues.queue_url
    os.environ["DLQ_URL"] = queues.dlq_url
    os.environ["SQS_ENDPOINT_URL"] = queues.endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    print(f"sqs: {queues.queue_url} (moto server)", flush=True)


def apply_migrations(database_url: str) -> None:
    from chatbatch import migrate

    applied = migrate.apply_pending(dsn=database_url)
    print(f"migrations: {', '.join(f'{m.version:04d}_{m.name}' for m in applied) or 'up to date'}", flush=True)


def run_dev(
    port: int | None = None,
    data_dir: str | None = None,
    extra_services: list[Callable[[threading.Event], None]] | None = None,
) -> int:
    port = port or int(os.environ.get("PORT", "3000"))
    stop = threading.Event()
    with ExitStack() as stack:
        database_url = start_database(stack, data_dir)
        prepare_environment(database_url)
        apply_migrations(database_url)
        start_queues(stack)

        secret = os.environ["WEBHOOK_SECRET"]
        functions: dict[str, int] = {}
        written = threading.Lock()

        def started(name: str, pid: int) -> None:  # each function's current process, for whoever wants to kill one
            with written:
                functions[name] = pid
                if STACK_FILE.exists():
                    write_stack_file(port, database_url, secret, functions)

        api_port = free_port()
        try:
            server = make_server(RemoteFunction(api_port), port=port, function_name="api")
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise ConfigurationError(f"port {port} is already in use: choose another with PORT=... or --port") from None
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        threading.Thread(target=server.serve_forever, name="api", daemon=True).start()

        def api_function(stop: threading.Event) -> None:
            host = ["api", "--port", str(api_port)]
            run_module_until("chatbatch_local.function_host", stop, name="api", args=host, on_start=started)

        services = [api_function, *(extra_services or [])]
        services += [partial(sweeper_loop, on_start=started), partial(poll_worker_queue, on_start=started)]
        for service in services:
            name = getattr(service, "__name__", None) or service.func.__name__
            thread = threading.Thread(target=service, args=(stop,), name=name, daemon=True)
            thread.start()
            stack.callback(thread.join, 10)
        stack.callback(stop.set)

        with written:
            write_stack_file(port, database_url, secret, functions)
        stack.callback(remove_stack_file)
        print(f"api: http://127.0.0.1:{port}  (webhook secret: {secret})", flush=True)
        print(
            "gateways: /webhook/waha, /webhook/evolution, /webhook/meta, /webhook/gowa (docs/gateways.md); "
            + ", ".join(f"{name}={os.environ[name]}" for name in DEV_GATEWAY_SECRETS),
            flush=True,
        )
        print(
            "try:\n"
            f"  curl -s -X POST http://127.0.0.1:{port}/webhook -H 'Content-Type: application/json' "
            f"-H 'X-Webhook-Secret: {secret}' \\\n"
            '    -d \'{"session_token":"demo","message_id":"m1","from":"6281234567890@s.whatsapp.net",'
            '"to":"6280000000000@s.whatsapp.net","body":"Halo","push_name":"Budi"}\'\n'
            "Ctrl-C stops everything.",
            flush=True,
        )
        _wait_for_interrupt(stop)
        print("stopping…", flush=True)
    print("stopped", flush=True)
    return 0


def write_stack_file(port: int, database_url: str, webhook_secret: str, functions: dict[str, int]) -> None:
    """Where the stack is; ``functions``: each function's current process id (a restart writes it again)."""
    STACK_FILE.parent.mkdir(parents=True, exist_ok=True)
    written = STACK_FILE.with_name(f"{STACK_FILE.name}.{os.getpid()}.tmp")
    written.write_text(
        json.dumps(
            {
                "api_url": f"http://127.0.0.1:{port}",
                "database_url": database_url,
                "webhook_secret": webhook_secret,
                "queue_url": os.environ.get("QUEUE_URL"),
                "dlq_url": os.environ.get("DLQ_URL"),
                "sqs_endpoint_url": os.environ.get("SQS_ENDPOINT_URL"),
                "pid": os.getpid(),
                "functions": dict(functions),
            },
            indent=2,
        )
    )
    written.replace(STACK_FILE)  # whole or not at all: a reader never sees half a file


def running_stack() -> dict | None:
    """What the running ``make dev`` wrote to its stack file; None when none runs (or it died)."""
    try:
        stack = json.loads(STACK_FILE.read_text())
        os.kill(int(stack["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stack


def clean_dev(dev_dir: Path = REPO_ROOT / ".dev") -> str:
    """``make clean-dev``: wipe the local stack's data (its Postgres cluster, the stack file). Refuses while a
    ``make dev`` runs; stops a Postgres left running by one that was killed."""
    stack = running_stack()
    if stack is not None and STACK_FILE.parent == dev_dir:
        raise ConfigurationError(f"make dev is running (pid {stack['pid']}): stop it with Ctrl-C first")
    cluster = dev_dir / "pgdata"
    if (cluster / "postmaster.pid").exists():
        LocalPostgres(cluster).stop_any()
    shutil.rmtree(dev_dir, ignore_errors=True)
    return f"local data wiped ({dev_dir})"


def remove_stack_file() -> None:
    """Remove .dev/stack.json if it still describes this process (a second stack may have written it since)."""
    try:
        if json.loads(STACK_FILE.read_text()).get("pid") == os.getpid():
            STACK_FILE.unlink()
    except (OSError, ValueError):
        pass


def _wait_for_interrupt(stop: threading.Event) -> None:
    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop.wait(0.5):
        pass
