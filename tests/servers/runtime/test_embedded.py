"""The embedded cluster is shared by processes, started by the first and stopped by the last live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import psutil
import pytest

from servers.kernel.errors import StartupError
from servers.runtime.embedded import EmbeddedCluster
from tests.support.wait import wait_for

# A second process: acquire, report the postmaster pid, then hold the cluster until stdin closes.
HOLDER = """
import sys
from pathlib import Path
from servers.runtime.embedded import EmbeddedCluster
cluster = EmbeddedCluster(Path(sys.argv[1]))
cluster.acquire()
print(cluster.status().pid, flush=True)
sys.stdin.read()
cluster.release()
"""


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def start_holder(home: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip().isdigit(), f"holder failed to acquire: {line!r}"
    return proc, int(line)


async def select_one(cluster: EmbeddedCluster) -> int:
    conn = await asyncpg.connect(cluster.dsn("postgres"))
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


async def test_first_acquire_starts_the_cluster_and_last_release_stops_it(tmp_path):
    cluster = EmbeddedCluster(tmp_path)
    cluster.acquire()
    cluster.acquire()  # nested use within one process counts once on disk
    assert cluster.status().users == (os.getpid(),)
    assert await select_one(cluster) == 1
    assert cluster.release() is False
    assert cluster.status().running
    assert cluster.release() is True
    assert not cluster.status().running
    assert postgres_processes(cluster.pgdata) == []


async def test_a_second_process_uses_the_same_running_cluster(tmp_path):
    cluster = EmbeddedCluster(tmp_path)
    cluster.acquire()
    try:
        mine = cluster.status().pid
        holder, theirs = start_holder(tmp_path)
        assert theirs == mine
        assert set(cluster.status().users) == {os.getpid(), holder.pid}
        holder.communicate("", timeout=30)
        assert cluster.status().running, "the other process's release must not stop a cluster still in use"
    finally:
        assert cluster.release() is True


async def test_the_last_release_stops_the_cluster_even_if_a_user_was_killed(tmp_path):
    cluster = EmbeddedCluster(tmp_path)
    holder, _ = start_holder(tmp_path)
    cluster.acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert cluster.release() is True, "a SIGKILLed user must not pin the cluster"
    assert postgres_processes(cluster.pgdata) == []


async def test_a_crashed_postmaster_is_restarted_by_the_next_acquire(tmp_path):
    cluster = EmbeddedCluster(tmp_path)
    cluster.acquire()
    first = cluster.status().pid
    psutil.Process(first).kill()
    await wait_for(lambda: not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE,
                   what="the killed postmaster to exit", every=0.05)
    cluster.acquire()
    try:
        assert cluster.status().pid != first
        assert await select_one(cluster) == 1
    finally:
        cluster.release()
        cluster.release()


async def test_stop_refuses_while_a_live_process_uses_the_cluster_unless_forced(tmp_path):
    cluster = EmbeddedCluster(tmp_path)
    holder, _ = start_holder(tmp_path)
    try:
        with pytest.raises(StartupError) as caught:
            cluster.stop()
        assert caught.value.code == "conflict" and str(holder.pid) in str(caught.value)
        assert cluster.stop(force=True) is True
        assert postgres_processes(cluster.pgdata) == []
    finally:
        holder.communicate("", timeout=30)
