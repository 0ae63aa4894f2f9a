"""Shared fixtures: a PostgreSQL server for the run (embedded by default, XIOPRO_TEST_DSN when set),
throwaway databases, settings pointing at them, and in-process MCP clients in both protocol eras."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client

from servers.app import ServerSpec, build_server, open_runtime
from servers.runtime.embedded import EmbeddedCluster
from servers.runtime.settings import SuiteSettings
from tests.support.net import free_port
from tests.support.pg import TestPostgres, external_dsn

_OWN_BASETEMP = pytest.StashKey[str]()

# Both MCP protocol eras: the initialize/session one and the 2026-07-28 sessionless one.
ERAS = ("legacy", "2026-07-28")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="fuzz with many more examples (tests/fuzz); XIOPRO_FUZZ_EXAMPLES sets how many")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--long", default=False) and not os.environ.get("XIOPRO_FUZZ_EXAMPLES"):
        os.environ["XIOPRO_FUZZ_EXAMPLES"] = "200"
    """A private base temp dir per run: pytest's shared /tmp/pytest-of-<user> keeps only the last three
    runs and would delete a concurrent run's live embedded cluster from under it."""
    if not config.option.basetemp and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="xiopro-pytest-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_BASETEMP, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    dsn = external_dsn()
    return f"xiopro: PostgreSQL = {'external ' + dsn.split('@')[-1] if dsn else 'embedded (pgserver)'}"


@pytest.fixture(scope="session")
def pg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """XIOPRO_HOME of the test run's own embedded cluster (never the user's)."""
    return tmp_path_factory.mktemp("xiopro-home")


@pytest.fixture(scope="session")
def pg_server(pg_home: Path) -> Iterator[TestPostgres]:
    dsn = external_dsn()
    if dsn is not None:
        yield TestPostgres(dsn, embedded=False)
        return
    cluster = EmbeddedCluster(pg_home)
    cluster.acquire()
    try:
        yield TestPostgres(cluster.dsn("postgres"), embedded=True)
    finally:
        cluster.release()


@pytest.fixture
async def pg(pg_server: TestPostgres) -> AsyncIterator[TestPostgres]:
    """Per-test view of the server: databases created through it are dropped after the test."""
    scoped = TestPostgres(pg_server.admin_dsn, embedded=pg_server.embedded)
    yield scoped
    await scoped.drop_all()


@pytest.fixture
async def suite_settings(pg: TestPostgres, tmp_path: Path) -> SuiteSettings:
    """Settings with fresh, empty bus and odm databases (the servers migrate them)."""
    return SuiteSettings(
        home=tmp_path / "home",
        bus_dsn=pg.dsn(pg.new_name("bus")),
        odm_dsn=pg.dsn(pg.new_name("odm")),
        # never the default :8702, where a developer's own `xeroctl up` may be serving
        odm_url=f"http://127.0.0.1:{free_port()}/mcp",
        log_level="WARNING",
        http_auth="none",  # HTTP tests run without keys on loopback; tests/servers/app/test_http_auth.py runs with them
    )


@asynccontextmanager
async def connect_client(
    spec: ServerSpec, settings: SuiteSettings, *, mode: str = "legacy", toolsets: str | None = None
) -> AsyncIterator[Client]:
    """An in-process MCP client on a real server (real database, real SDK, no subprocess)."""
    async with open_runtime(spec, settings) as runtime:
        server = build_server(spec, runtime, spec.tools.select(toolsets))
        async with Client(server, mode=mode) as client:
            yield client


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


def script_env(**extra: str) -> dict[str, str]:
    """Environment for a console-script subprocess: ours, minus the XIOPRO_* a developer may have set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")}
    env["XIOPRO_HTTP_AUTH"] = "none"  # loopback without keys, unless a test asks for keys
    env.update(extra)
    return env
