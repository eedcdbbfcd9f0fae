"""Run every benchmark module ``bench/bench_*.py`` (each exposes ``run(ctx: BenchContext)``).

A fresh, durable local Postgres is started for the run (or BENCH_DATABASE_URL is used), migrated.
``python -m bench --only ingest`` runs one module; ``--quick`` shrinks the workloads (for a smoke test).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class BenchContext:
    database_url: str
    quick: bool

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--only", action="append", default=[], help="module name without bench_ (repeatable)")
    parser.add_argument("--quick", action="store_true", help="small workloads: a smoke run, not a measurement")
    args = parser.parse_args(argv)
    parts = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    unknown = [name for name in args.only if name not in parts]
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)}: the parts are {', '.join(parts)}")
    chosen = [name for name in parts if not args.only or name in args.only]

    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "chatbatch")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from chatbatch import migrate

    url = os.environ.get("BENCH_DATABASE_URL")
    cluster = tmp = None
    if not url:
        from chatbatch_local.postgres import LocalPostgres

        tmp = tempfile.mkdtemp(prefix="chatbatch-bench-pg-")
        os.chmod(tmp, 0o755)
        cluster = LocalPostgres(Path(tmp) / "data", durable=True).start()
        url = cluster.dsn
    try:
        migrate.apply_pending(dsn=url)
        os.environ["DATABASE_URL"] = url
        ctx = BenchContext(database_url=url, quick=args.quick)
        print(
            f"# chatbatch benchmarks ({'quick' if args.quick else 'full'}; python {sys.version.split()[0]}; "
            f"{os.cpu_count()} cores)"
        )
        for name in chosen:
            started = time.perf_counter()
            importlib.import_module(f"bench.bench_{name}").run(ctx)
            print(f"(bench_{name}: {time.perf_counter() - started:.1f} s)", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
