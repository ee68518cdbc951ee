"""A real streaming replica of a running PostgreSQL server, on this machine, for a while.

`tests/test_replicas.py` and `benchmarks/replica_lag.py` both start one: pg_basebackup of
the primary's whole cluster into a temporary directory, then a second server from the same
major version's binaries, on a port of its own, following the primary. When the primary's
pg_hba.conf lets no replication connection in from here, a line allowing it is added first
(marked, and taken out again when done; writing the file needs the right to, as root).

Needs no Django and no pytest: the primary is given as psycopg's connection parameters.
What this machine lacks for it raises `ReplicaUnavailable`, which a test turns into a skip.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

# The OS user PostgreSQL runs as when this runs as root (the server refuses root).
SERVER_USER = "postgres"
WAIT_SECONDS = 60
# A new replica first syncs the copied files, then replays the WAL written during the copy
# before it takes connections: minutes, when the primary was busy meanwhile.
START_SECONDS = 600
# A standby needs these at least as high as its primary has them.
MATCHED_SETTINGS = [
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
]


class ReplicaUnavailable(Exception):
    """This machine cannot run a replica: no server binaries, no replication connection."""


def query(params: dict, sql: str, args: tuple = ()) -> object:
    """The first column of the first row of `sql`, on a connection of its own."""
    with psycopg.connect(**params, autocommit=True) as conn:
        return conn.execute(sql, args).fetchone()[0]


def cluster_bytes(primary: dict) -> int:
    """The size of all the primary's databases: what a base backup copies."""
    return int(query(primary, "SELECT sum(pg_database_size(oid)) FROM pg_database"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_binaries(major: int) -> Path:
    """The directory of pg_ctl and pg_basebackup of the server's major version."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    for bindir in candidates:
        if (bindir / "pg_ctl").is_file() and (bindir / "pg_basebackup").is_file():
            version = subprocess.run(
                [bindir / "pg_ctl", "--version"], capture_output=True, text=True
            ).stdout
            if re.search(rf"\b{major}\.", version):
                return bindir
    raise ReplicaUnavailable(
        f"No PostgreSQL {major} server binaries (pg_ctl, pg_basebackup) on this machine "
        f"(looked in {', '.join(map(str, candidates))})"
    )


def _as_server_user(directory: Path) -> dict:
    """subprocess.run's arguments to run a command as the server's OS user, in `directory`."""
    if os.geteuid() != 0:
        return {"cwd": directory}
    try:
        account = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ReplicaUnavailable(
            f"Running as root, and there is no {SERVER_USER} user to run PostgreSQL"
        ) from None
    os.chown(directory, account.pw_uid, account.pw_gid)
    return {
        "cwd": directory,
        "user": account.pw_uid,
        "group": account.pw_gid,
        "extra_groups": [],
        "env": {**os.environ, "HOME": account.pw_dir, "USER": SERVER_USER},
    }


TEMPORARY = "for its run only"


def _allowed_for_good(primary: dict) -> bool:
    """Whether pg_hba.conf lets replication in by a rule of its own, not a run's marked one.

    A replica that relied on another run's line would stop streaming once that run ends and
    takes it out. When the file cannot be read, the base backup's answer tells.
    """
    try:
        lines = Path(query(primary, "SHOW hba_file")).read_text().splitlines()
    except OSError:
        return True
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and "replication" in fields[1].split(",") and TEMPORARY not in line:
            return True
    return False


@contextmanager
def _replication_rule(primary: dict, mark: str) -> Iterator[None]:
    """Let this machine connect to the primary for replication, for the block's time."""
    address = query(primary, "SELECT host(inet_client_addr())")
    if address is None:
        rule = f"local replication {primary['user']} trust"
    else:
        rule = f"host replication {primary['user']} {address}/{128 if ':' in address else 32} trust"
    line = f"{rule} # {mark}, {TEMPORARY} (pid {os.getpid()})"
    hba = Path(query(primary, "SHOW hba_file"))
    try:
        # First, so that no rule for replication above it refuses the connection.
        hba.write_text(f"{line}\n{hba.read_text()}")
    except OSError as error:
        raise ReplicaUnavailable(
            f"PostgreSQL allows no replication connection from here, and {hba} cannot take "
            f"one for the run ({error}); add to it: {rule}"
        ) from None
    try:
        query(primary, "SELECT pg_reload_conf()")
        yield
    finally:
        kept = [kept for kept in hba.read_text().splitlines() if kept != line]
        hba.write_text("".join(f"{kept}\n" for kept in kept))
        query(primary, "SELECT pg_reload_conf()")


@dataclass
class ReplicaServer:
    """A hot standby of the primary, streaming its WAL, on a port of its own."""

    bindir: Path
    directory: Path
    port: int
    options: str  # the server's command-line options
    as_user: dict
    primary: dict  # psycopg's connection parameters
    name: str  # its cluster_name: the application_name of its row in pg_stat_replication

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def params(self) -> dict:
        return {**self.primary, "host": "127.0.0.1", "port": self.port}

    def run(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, **self.as_user)

    def base_backup(self) -> subprocess.CompletedProcess:
        shutil.rmtree(self.data, ignore_errors=True)
        primary = self.primary
        # -R: a standby, following the primary; -c fast: no wait for a spread checkpoint.
        return self.run(
            self.bindir / "pg_basebackup",
            *("-h", primary["host"], "-p", str(primary["port"]), "-U", primary["user"]),
            *("-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )

    def start(self) -> None:
        started = self.run(
            self.bindir / "pg_ctl",
            *("-D", self.data, "-o", self.options, "-l", self.directory / "server.log"),
            *("-w", "-t", str(START_SECONDS), "start"),
        )
        if started.returncode:
            log = (self.directory / "server.log").read_text(errors="replace")
            raise RuntimeError(f"The replica did not start: {started.stderr}\n{log}")

    def stop(self) -> None:
        if self.data.is_dir():
            self.run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return self.run(self.bindir / "pg_ctl", "-D", self.data, "status").returncode == 0

    def caught_up(self, timeout: float = WAIT_SECONDS) -> None:
        """Wait until the replica has replayed all that the primary has written so far."""
        target = query(self.primary, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not query(self.params, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"The replica has not replayed the WAL up to {target}")
            time.sleep(0.05)

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        """The replica lags: what the primary commits in the block, it does not show yet.

        Caught up first: paused halfway through a transaction it replays (a test database's
        TRUNCATE, say), the replica would hold that transaction's locks for the whole block,
        and a page reading the table there would wait for ever.
        """
        self.caught_up()
        query(self.params, "SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            query(self.params, "SELECT pg_wal_replay_resume()")


def start_replica(stack: ExitStack, primary: dict, mark: str) -> ReplicaServer:
    """A running, caught-up replica of the primary's server, stopped and removed by `stack`.

    `primary`: psycopg's connection parameters (host, port, user, password, dbname), which
    the replica's own `params` share but for the port. `mark`: who started it, written on
    the pg_hba.conf line added for the time of the base backup, if one is needed.
    """
    major = int(query(primary, "SELECT current_setting('server_version_num')")) // 10000
    bindir = _server_binaries(major)
    directory = Path(tempfile.mkdtemp(prefix="console-replica-"))
    stack.callback(shutil.rmtree, directory, ignore_errors=True)
    as_user = _as_server_user(directory)
    if primary["password"]:
        as_user["env"] = {**as_user.get("env", os.environ), "PGPASSWORD": primary["password"]}

    needed = [f"-c {name}={query(primary, f'SHOW {name}')}" for name in MATCHED_SETTINGS]
    port = _free_port()
    name = f"console-replica-{port}"
    options = " ".join(
        [
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c cluster_name={name}",
            # The primary's own settings come along in postgresql.auto.conf; not its memory.
            "-c shared_buffers=128MB -c hot_standby=on",
            *needed,
        ]
    )
    server = ReplicaServer(bindir, directory, port, options, as_user, primary, name)

    refused = "no pg_hba.conf entry for replication"
    ruled = not _allowed_for_good(primary)
    if ruled:
        stack.enter_context(_replication_rule(primary, mark))
    backup = server.base_backup()
    if backup.returncode and refused in backup.stderr:
        if not ruled:
            stack.enter_context(_replication_rule(primary, mark))
        deadline = time.monotonic() + 10
        while (backup := server.base_backup()).returncode and time.monotonic() < deadline:
            time.sleep(0.5)  # the server reloads pg_hba.conf in a moment
    if backup.returncode:
        raise RuntimeError(f"pg_basebackup failed: {backup.stderr}")
    # Debian keeps the server's configuration outside its data directory: the replica gets
    # its own, letting in connections from this machine only.
    for filename, text in [
        ("postgresql.conf", ""),
        ("pg_ident.conf", ""),
        ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
    ]:
        (server.data / filename).write_text(text)
        if "user" in as_user:
            os.chown(server.data / filename, as_user["user"], as_user["group"])

    # Registered first: a start that timed out may still have left a server running.
    stack.callback(server.stop)
    server.start()
    server.caught_up(timeout=START_SECONDS)
    if query(server.params, "SELECT pg_is_in_recovery()") is not True:
        raise RuntimeError(f"The server on port {port} is not a standby")
    return server
