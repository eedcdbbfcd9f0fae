"""The ``chatbatch`` console command: ``chatbatch migrate``, ``chatbatch dev`` (local stack), ``chatbatch token …``.

An operator's and developer's tool, installed by ``make`` into .venv: it is not part of the Lambda layer.
Database commands use ``DATABASE_URL`` (or ``DB_SECRET_ARN``), else the database of the running ``make dev``
(``.dev/stack.json``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chatbatch import migrate
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.api_tokens import Scope
from chatbatch.errors import ChatbatchError, ConfigurationError
from chatbatch.services import api_tokens
from chatbatch.settings import CommonSettings, load
from pydantic import SecretStr

from chatbatch_local.stack import running_stack

Command = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]
_COMMANDS: dict[str, tuple[Command, Arguments, str]] = {}
_GROUPS: dict[str, str] = {}


def command(name: str, help_text: str, arguments: Arguments = lambda p: None):
    """Register a command; a name with spaces (``"token create"``) is a subcommand of its group."""

    def register(fn: Command) -> Command:
        _COMMANDS[name] = (fn, arguments, help_text)
        return fn

    return register


def command_group(name: str, help_text: str) -> None:
    _GROUPS[name] = help_text


def _database_settings() -> CommonSettings:
    """The database settings of the environment; without any, the running ``make dev``'s database."""
    settings = load(CommonSettings)
    if settings.database_url is None and settings.db_secret_arn is None:
        stack = running_stack()
        if stack is None:
            raise ConfigurationError(
                "DATABASE_URL (a postgresql:// DSN) or DB_SECRET_ARN (the RDS secret) must be set, "
                "or `make dev` must be running (it writes .dev/stack.json)"
            )
        print(f"(using the database of the running make dev: {stack['database_url']})", file=sys.stderr)
        settings = settings.model_copy(update={"database_url": SecretStr(stack["database_url"])})
    return settings


@command("migrate", "apply the pending database migrations (DATABASE_URL or DB_SECRET_ARN)")
def _migrate(_: argparse.Namespace) -> int:
    applied = migrate.apply_pending(**connect_params_from_settings(_database_settings())())
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
    print(f"migrations applied: {names}")
    return 0


def _dev_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT or 3000)")
    parser.add_argument("--data-dir", default=None, help="local Postgres data folder (default: .dev/pgdata)")


@command("dev", "run the whole pipeline locally (Postgres, API, ...); Ctrl-C stops it", _dev_arguments)
def _dev(args: argparse.Namespace) -> int:
    from chatbatch_local.stack import run_dev

    return run_dev(port=args.port, data_dir=args.data_dir)


@command("clean-dev", "wipe make dev's local data (.dev: its Postgres cluster and stack file)")
def _clean_dev(_: argparse.Namespace) -> int:
    from chatbatch_local.stack import clean_dev

    print(clean_dev())
    return 0


@contextmanager
def _database() -> Iterator[Database]:
    db = Database(connect_params_from_settings(_database_settings()))
    try:
        yield db
    finally:
        db.close()


command_group("token", "API tokens of the chat-history API (one session token each; stored hashed)")


def _token_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenant", metavar="session_tok", help="the session token (tenant) whose chat history the token may read"
    )
    parser.add_argument(
        "--label",
        "--name",
        dest="label",
        default=None,
        help="who uses the token: the operator's name, shown on the staff replies they send from the console",
    )
    parser.add_argument(
        "--scope",
        choices=[scope.value for scope in Scope],
        default=Scope.OPERATE.value,
        help="read: the chat history; operate: also reply, pause the bot, retry jobs; admin: also the bot's "
        "settings (default: operate)",
    )


@command("token create", "create an API token; it is printed once, as the last line", _token_create_arguments)
def _token_create(args: argparse.Namespace) -> int:
    with _database() as db:
        issued = api_tokens.create_token(db, args.tenant, label=args.label, scope=Scope(args.scope))
    label = f" ({issued.record.label})" if issued.record.label else ""
    print(
        f"API token {issued.record.id}{label} with the {issued.record.scope} scope for session "
        f"{issued.record.tenant}; "
        "it is shown only this once (only its hash is stored):"
    )
    print(issued.token)
    return 0


@command(
    "token revoke",
    "revoke an API token (requests with it get 401 from now on)",
    lambda p: p.add_argument("token_or_id", help="the token itself, or its id from `chatbatch token list`"),
)
def _token_revoke(args: argparse.Namespace) -> int:
    with _database() as db:
        record = api_tokens.revoke_token(db, args.token_or_id)
    print(f"API token {record.id} of session {record.tenant} revoked at {record.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
    return 0


@command(
    "token list",
    "list a session's API tokens (never the tokens themselves)",
    lambda p: p.add_argument("tenant", metavar="session_tok"),
)
def _token_list(args: argparse.Namespace) -> int:
    with _database() as db:
        records = api_tokens.list_tokens(db, args.tenant)
    if not records:
        print(f"session {args.tenant} has no API tokens")
    for r in records:
        state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        used = f"last used {r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "never used"
        print(f"{r.id}\t{state}\t{r.scope}\tcreated {r.created_at:%Y-%m-%d %H:%M}\t{used}\t{r.label or ''}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatbatch", description=__doc__)
    groups = {"": parser.add_subparsers(dest="command", required=True)}
    for name, (_, arguments, help_text) in _COMMANDS.items():
        *path, leaf = name.split()
        for depth in range(1, len(path) + 1):
            group = " ".join(path[:depth])
            if group not in groups:
                help_of_group = _GROUPS.get(group)
                group_parser = groups[" ".join(path[: depth - 1])].add_parser(
                    path[depth - 1], help=help_of_group, description=help_of_group
                )
                groups[group] = group_parser.add_subparsers(dest=f"{group} command", required=True)
        leaf_parser = groups[" ".join(path)].add_parser(leaf, help=help_text, description=help_text)
        arguments(leaf_parser)
        leaf_parser.set_defaults(command_name=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command_name][0](args)
    except ChatbatchError as exc:
        print(f"chatbatch {args.command_name}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
