"""The ``chatbatch`` console command: ``chatbatch migrate``, ``chatbatch dev`` (local stack), and more."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from chatbatch import migrate
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.errors import ChatbatchError
from chatbatch.settings import CommonSettings, load

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    def register(fn: Command) -> Command:
        _COMMANDS[name] = (fn, arguments, help_text)
        return fn

    return register


@command("migrate", "apply the pending database migrations (DATABASE_URL or DB_SECRET_ARN)")
def _migrate(_: argparse.Namespace) -> int:
    conn = Database(connect_params_from_settings(load(CommonSettings))).connection()
    try:
        applied = migrate.apply(conn)
    finally:
        conn.close()
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
    print(f"migrations applied: {names}")
    return 0


def _dev_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT or 3000)")
    parser.add_argument("--data-dir", default=None, help="local Postgres data folder (default: .dev/pgdata)")


@command("dev", "run the whole pipeline locally (Postgres, API, ...); Ctrl-C stops it", _dev_arguments)
def _dev(args: argparse.Namespace) -> int:
    from chatbatch_local.stack import run_dev  # local tooling: not shipped in the Lambda layer

    return run_dev(port=args.port, data_dir=args.data_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chatbatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, arguments, help_text) in _COMMANDS.items():
        arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command][0](args)
    except ChatbatchError as exc:
        print(f"chatbatch {args.command}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
