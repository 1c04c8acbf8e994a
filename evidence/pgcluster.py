"""A private PostgreSQL server for the fault drills, which stop and start it.

The shared server on port 5432 is never stopped: other work on the machine (and CI) uses
it. Instead the drills run ``initdb`` into a temporary folder and start a server of their
own on a free port, with the binaries of the installed PostgreSQL, as the ``postgres`` system
user when run as root (PostgreSQL refuses to run as root). It is stopped and its folder
removed at cleanup.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from evidence.context import Context, free_port


def _binaries() -> Path:
    """The newest installed PostgreSQL's ``bin`` folder (Debian's layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin.")
    return Path(found[-1]).parent


class PrivateServer:
    """``initdb`` + ``pg_ctl`` on a folder and port of the drill's own."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.bin = _binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="portal-evidence-pg-"))
        self.data = self.folder / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        ctx.cleanup.callback(shutil.rmtree, self.folder, ignore_errors=True)

    def _pg(self, tool: str, *args: str, timeout: float = 60,
            record: str = "") -> subprocess.CompletedProcess[str]:
        return self.ctx.run([*self.as_user, str(self.bin / tool), *args], timeout=timeout,
                            record=record)

    def create(self) -> None:
        """A new cluster (trust auth on 127.0.0.1 only), started; stopped at cleanup."""
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8",
                 record="initdb -D <folder> -U postgres -A trust   # a private server")
        self.ctx.cleanup.callback(self._stop_quietly)
        self.start()

    def start(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                 "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
                 "-w", "-t", "60", "start", timeout=90,
                 record=f"pg_ctl start   # the private server, port {self.port}")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every session is ended at once, open transactions are
        rolled back (what a crash or a failover looks like to the app servers)."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=90,
                 record="pg_ctl stop -m fast   # the private server, mid-use")

    def _stop_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def createdb(self, name: str) -> None:
        self.ctx.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      name], timeout=60)
