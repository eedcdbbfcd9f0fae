"""A local PostgreSQL cluster for ``make dev`` (persistent) and the test suite (throwaway).

Uses the server binaries of the machine (``pg_config --bindir``, Debian's /usr/lib/postgresql/*/bin).
initdb refuses to run as root, so as root the cluster runs as the ``postgres`` user (runuser).
It listens on loopback TCP only, with trust authentication: it is for this machine alone.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DB_NAME = "chatbatch"
DB_USER = "chatbatch"
PORT_FILE = "chatbatch-port"  # in the data folder: the port the cluster keeps across restarts


def find_bindir() -> Path:
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("postgres"):
        candidates.append(str(Path(shutil.which("postgres")).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise RuntimeError(
        "no PostgreSQL server binaries found (initdb, postgres): install them (Debian: apt-get install "
        "postgresql) or set DATABASE_URL to an existing database"
    )


def _library_dirs(bindir: Path) -> list[Path]:
    """Where the server of ``bindir`` loads modules from: Debian's /usr/lib/postgresql/N/lib, else pg_config's."""
    dirs = [bindir.parent / "lib"]
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True, check=False)
        if out.stdout.strip():
            dirs.append(Path(out.stdout.strip()))
    return dirs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """Nobody listens on the port (SO_REUSEADDR: a previous run's TIME_WAIT connections do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int = 0
    durable: bool = True  # False for tests: fsync off, much faster, fine for a throwaway cluster
    server_options: tuple[str, ...] = ()  # extra "-c name=value" settings, e.g. TLS for a test
    bindir: Path = field(default_factory=find_bindir)

    @property
    def dsn(self) -> str:
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_owner(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            hint = ""
            if self._as_owner():
                hint = (
                    f"\n(as root the cluster runs as the postgres user, who must be able to reach {self.data_dir}: "
                    "choose a data folder it can reach, e.g. --data-dir /var/tmp/chatbatch-pgdata, or set DATABASE_URL)"
                )
            raise RuntimeError(f"{Path(args[0]).name} failed (exit {done.returncode}):\n{done.stdout.strip()}{hint}")

    started_here: bool = False

    def start(self) -> LocalPostgres:
        """Start the cluster (creating it on first use), or attach to it when another process runs it."""
        self.data_dir = Path(self.data_dir).resolve()
        running_port = self._running_port()
        if running_port:
            self.port = running_port
            self._ensure_database()
            return self
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data_dir, "postgres", "postgres")
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                DB_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        self.port = self.port or self._kept_port()
        if not _port_is_free(self.port):
            raise RuntimeError(
                f"port {self.port} of the local Postgres in {self.data_dir} is taken by another program; stop it, or "
                f"delete {self.data_dir / PORT_FILE} to let the cluster choose a new port (copied DSNs change then)"
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        if self.has_statement_statistics():  # the bench and the tests count the statements ingest sends
            options += " -c shared_preload_libraries=pg_stat_statements"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += "".join(f" -c {option}" for option in self.server_options)
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started_here = True
        self._ensure_database()
        return self

    def has_statement_statistics(self) -> bool:
        """The server has the pg_stat_statements module (Debian's postgresql package ships it in contrib)."""
        return any((lib / "pg_stat_statements.so").exists() for lib in _library_dirs(self.bindir))

    def _kept_port(self) -> int:
        """The cluster's port, chosen once when it is first started and kept in its data folder: a DSN copied
        from one ``make dev`` keeps working after a restart."""
        kept = self.data_dir / PORT_FILE
        try:
            return int(kept.read_text().strip())
        except (OSError, ValueError):
            port = free_port()
            kept.write_text(f"{port}\n")
            return port

    def _running_port(self) -> int | None:
        """The port of a live postmaster on this data folder (postmaster.pid: pid, dir, start, port, ...)."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            os.kill(int(lines[0]), 0)
            return int(lines[3])
        except (OSError, ValueError, IndexError):
            return None

    def _ensure_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, dbname="postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DB_NAME}")
        conn.close()

    def stop_any(self) -> None:
        """Stop the cluster whoever started it (``make clean-dev`` after a killed ``make dev``)."""
        self.started_here = True
        self.stop()

    def stop(self) -> None:
        """Stop the cluster if this process started it (a cluster another process runs is left alone)."""
        if self.started_here:
            self.started_here = False
            subprocess.run(
                [*self._as_owner(), str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                check=False,
                capture_output=True,
            )
