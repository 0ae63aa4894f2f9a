"""The embedded PostgreSQL cluster: pgserver's binaries, run in ``$XIOPRO_HOME/pgdata``, shared by processes.

pgserver ships the PostgreSQL binaries; this module runs them itself rather than through
``pgserver.get_server`` because the suite needs what pgserver's handle list does not give:
a user list that forgets processes killed with SIGKILL (so a crashed server never pins the
cluster forever), a stop when the last live user releases it (not only at ``atexit``), and a
postmaster in its own session (so a terminal's Ctrl-C reaches ``xeroctl``, which then stops
the cluster in order). Every state change happens under an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import pwd
import shlex
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from servers.kernel.errors import StartupError

__all__ = ["EmbeddedCluster", "EmbeddedStatus", "pg_binary"]

log = logging.getLogger("xiopro.embedded")

_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux
_SYSTEM_USER = "pgserver"  # the account pgserver itself uses when run as root
_START_TIMEOUT_S = 60

# Acquisitions by this process, per pgdata: the on-disk user list holds each process once,
# and only the process's last release may remove it (and perhaps stop the cluster).
_held: dict[Path, int] = {}
_held_lock = threading.Lock()


@dataclass(frozen=True)
class EmbeddedStatus:
    pgdata: Path
    initialized: bool
    running: bool
    pid: int | None
    socket_dir: Path | None
    users: tuple[int, ...]


class EmbeddedCluster:
    """One cluster per ``home``; ``acquire`` starts it if needed, the last ``release`` stops it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.pgdata = home / "pgdata"
        self._lock_path = home / "pgdata.lock"
        self._users_path = home / "pgdata.users.json"

    # -- public ---------------------------------------------------------------------------

    def acquire(self) -> None:
        """Start the cluster if it is not running and record this process as a user.

        Raises:
            StartupError: the binaries are missing, initdb failed, or the server did not start.
        """
        with _held_lock, self._locked():
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if self._postmaster() is None:
                self._start()
            users = self._live_users()
            me = _process_key(os.getpid())
            if me is not None and me not in users:
                users.append(me)
            self._write_users(users)
            _held[self.pgdata] = _held.get(self.pgdata, 0) + 1

    def release(self) -> bool:
        """Undo one ``acquire``; the process's last release forgets it and stops the cluster if no live
        user remains. Returns True if the cluster was stopped."""
        with _held_lock:
            count = _held.get(self.pgdata, 0)
            if count == 0:
                return False
            if count > 1:
                _held[self.pgdata] = count - 1
                return False
            del _held[self.pgdata]
            return self._release_process()

    def _release_process(self) -> bool:
        with self._locked():
            users = [u for u in self._live_users() if u[0] != os.getpid()]
            self._write_users(users)
            if users or self._postmaster() is None:
                return False
            self._stop()
            return True

    def stop(self, *, force: bool = False) -> bool:
        """Stop the cluster unless a live process still uses it (or ``force``). Returns True if stopped."""
        with self._locked():
            users = self._live_users()
            if users and not force:
                pids = ", ".join(str(pid) for pid, _ in users)
                raise StartupError(
                    "conflict", f"the embedded cluster is in use by pid {pids}; stop those first or pass --force"
                )
            self._write_users([])
            if self._postmaster() is None:
                return False
            self._stop()
            return True

    def restart(self, *, down_s: float = 0.0) -> None:
        """Stop the postmaster (fast shutdown: sessions are cut) and start it again after ``down_s`` seconds;
        the processes using the cluster stay registered. For fault-injection tests and benchmarks.

        Raises:
            StartupError: it would not stop or start.
        """
        with _held_lock, self._locked():
            self._stop()
            if down_s > 0:
                time.sleep(down_s)
            self._start()

    def status(self) -> EmbeddedStatus:
        with self._locked():
            pm = self._postmaster()
            return EmbeddedStatus(
                pgdata=self.pgdata,
                initialized=(self.pgdata / "PG_VERSION").exists(),
                running=pm is not None,
                pid=pm[0] if pm else None,
                socket_dir=pm[1] if pm else None,
                users=tuple(pid for pid, _ in self._live_users()),
            )

    def dsn(self, database: str) -> str:
        """URL of ``database`` on the running cluster (unix socket, trust auth).

        Raises:
            StartupError: the cluster is not running.
        """
        pm = self._postmaster()
        if pm is None:
            raise StartupError("unavailable", f"the embedded PostgreSQL in {self.pgdata} is not running")
        return f"postgresql://postgres@/{database}?host={pm[1]}"

    # -- internals ------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StartupError("unavailable", f"cannot create XIOPRO_HOME {self.home}: {exc.strerror}") from None
        with open(self._lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _live_users(self) -> list[tuple[int, float]]:
        try:
            raw = json.loads(self._users_path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        live = []
        for entry in raw:
            pid, started = int(entry[0]), float(entry[1])
            if _process_key(pid) == (pid, started):
                live.append((pid, started))
        return live

    def _write_users(self, users: list[tuple[int, float]]) -> None:
        tmp = self._users_path.with_suffix(".tmp")
        tmp.write_text(json.dumps([list(u) for u in users]))
        tmp.replace(self._users_path)

    def _postmaster(self) -> tuple[int, Path] | None:
        """(pid, socket_dir) of a live postmaster serving this pgdata, else None."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid, socket_dir, status = int(lines[0]), lines[4].strip(), lines[7].strip()
        except (FileNotFoundError, PermissionError, IndexError, ValueError):
            return None
        if not _is_live_postgres(pid) or status != "ready" or not socket_dir:
            return None
        return pid, Path(socket_dir)

    def _remove_stale_pid_files(self) -> None:
        """A crashed postmaster leaves postmaster.pid and the socket's .lock behind, and where nobody reaps
        the dead (a container whose PID 1 is not an init) its pid stays a zombie that PostgreSQL takes
        for a live server. Called only when _postmaster() found no live server, under the lock; shared
        memory still attached by surviving backends is checked by PostgreSQL itself at start."""
        for lock_file in (self.pgdata / "postmaster.pid", self._socket_dir() / f"{_SOCKET_NAME}.lock"):
            try:
                pid = int(lock_file.read_text().splitlines()[0])
            except (FileNotFoundError, IndexError, ValueError):
                continue
            if _is_live_postgres(pid):
                continue
            log.warning("removing stale %s (pid %s no longer runs a server)", lock_file, pid)
            lock_file.unlink(missing_ok=True)

    def _socket_dir(self) -> Path:
        if len(str(self.pgdata / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        path = Path("/tmp") / f"xiopro-pg-{digest}"
        path.mkdir(mode=0o700, exist_ok=True)
        _chown_to_system_user(path)
        return path

    def _initdb(self) -> None:
        log.info("initialising embedded PostgreSQL in %s", self.pgdata)
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        _prepare_for_system_user(self.pgdata)
        self._run(
            "initdb",
            ["-D", str(self.pgdata), "--auth=trust", "--auth-local=trust", "--encoding=UTF8", "-U", "postgres"],
            what="initialise the embedded PostgreSQL",
        )

    def _start(self) -> None:
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
        _prepare_for_system_user(self.pgdata)
        self._remove_stale_pid_files()
        options = f"-c listen_addresses='' -k {shlex.quote(str(self._socket_dir()))} -c max_connections=200"
        self._run(
            "pg_ctl",
            ["-D", str(self.pgdata), "-l", str(self.pgdata / "log"), "-w", "-t", str(_START_TIMEOUT_S),
             "-o", options, "start"],
            what="start the embedded PostgreSQL",
        )
        if self._postmaster() is None:
            raise StartupError(
                "unavailable", f"the embedded PostgreSQL did not become ready; see {self.pgdata / 'log'}"
            )

    def _stop(self) -> None:
        log.info("stopping embedded PostgreSQL in %s", self.pgdata)
        self._run(
            "pg_ctl",
            ["-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(_START_TIMEOUT_S), "stop"],
            what="stop the embedded PostgreSQL",
        )

    def _run(self, program: str, args: list[str], *, what: str) -> None:
        binary = _bin_dir() / program
        try:
            proc = subprocess.run(
                [str(binary), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                **_run_as(),  # type: ignore[call-overload]  # user/group for root, typed as dict[str, object]
                start_new_session=True,  # the postmaster must not receive the terminal's Ctrl-C
                timeout=_START_TIMEOUT_S + 30,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise StartupError("unavailable", f"could not {what}: {exc}") from None
        if proc.returncode != 0:
            detail = _last_line(proc.stderr) or _last_line(_tail(self.pgdata / "log"))
            raise StartupError(
                "unavailable",
                f"could not {what}: {detail or f'{program} exited {proc.returncode}'}; see {self.pgdata / 'log'}"
                " or the README's troubleshooting",
            )


def _bin_dir() -> Path:
    """pgserver's bundled binaries, located without importing pgserver (its import has side effects)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise StartupError("unavailable", "the pgserver package is not installed; pip install pgserver")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def pg_binary(program: str) -> Path:
    """Path of a PostgreSQL client program shipped with pgserver (psql, pg_dump, ...)."""
    return _bin_dir() / program


def _system_user() -> str | None:
    """PostgreSQL refuses to run as root; as root the cluster runs as pgserver's own account."""
    return _SYSTEM_USER if os.geteuid() == 0 else None


def _run_as() -> dict[str, object]:
    """subprocess arguments that drop root to the system account (group too: a root gid would make
    directories' group bits, not their other bits, decide access)."""
    user = _system_user()
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _prepare_for_system_user(pgdata: Path) -> None:
    """As root: make sure the account exists and can reach pgdata and the binaries."""
    if _system_user() is None:
        return
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", _SYSTEM_USER],
                       check=True, capture_output=True)
    bins = _bin_dir()
    for path in (pgdata, bins):
        for parent in path.parents:  # traversable by the account (o+x), as pgserver itself arranges
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)
    for root, dirs, files in os.walk(bins.parent):
        for name in dirs:
            _add_mode(Path(root, name), stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            _add_mode(Path(root, name), stat.S_IROTH | (stat.S_IXOTH if Path(root) == bins else 0))
    _chown_to_system_user(pgdata)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.stat().st_mode
    if mode & bits != bits:
        path.chmod(mode | bits)


def _chown_to_system_user(path: Path) -> None:
    if _system_user() is None:
        return
    entry = pwd.getpwnam(_SYSTEM_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _is_live_postgres(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return bool(proc.name() == "postgres" and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _process_key(pid: int) -> tuple[int, float] | None:
    """(pid, start time) of a running process; None for a dead one (zombies included)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return pid, proc.create_time()
    except psutil.Error:
        return None


def _tail(path: Path, size: int = 4096) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
