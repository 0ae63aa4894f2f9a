"""Settings from XIOPRO_* variables: bad values become one line naming the variable, secrets never shown."""

from __future__ import annotations

import pytest

from servers.kernel.errors import StartupError
from servers.runtime.settings import load_settings, redact_dsn


@pytest.mark.parametrize(
    "dsn, complaint",
    [
        ("mysql://root@localhost/bus", "must start with postgresql://"),
        ("postgresql://postgres@127.0.0.1:notaport/bus", "is not a valid URL"),
        ("postgresql://postgres@127.0.0.1:5432", "names no database"),
        ("postgresql://postgres@127.0.0.1:70000/bus", "is not a valid URL"),
        ("just words", "must start with postgresql://"),
    ],
)
def test_malformed_dsn_is_refused_naming_the_variable(monkeypatch, dsn, complaint):
    monkeypatch.setenv("XIOPRO_BUS_DSN", dsn)
    with pytest.raises(StartupError) as caught:
        load_settings()
    assert caught.value.code == "invalid_argument"
    assert str(caught.value).startswith("XIOPRO_BUS_DSN ")
    assert complaint in str(caught.value)


def test_password_in_a_malformed_dsn_never_appears_in_the_error(monkeypatch):
    monkeypatch.setenv("XIOPRO_ODM_DSN", "mysql://app:hunter2@db/odm")
    with pytest.raises(StartupError) as caught:
        load_settings()
    assert "hunter2" not in str(caught.value)


def test_redacted_dsn_hides_the_password_and_keeps_the_rest():
    assert redact_dsn("postgresql://app:hunter2@db.example:5432/odm") == "postgresql://app:***@db.example:5432/odm"
    assert redact_dsn("postgresql://app@db/odm") == "postgresql://app@db/odm"


def test_empty_dsn_means_the_embedded_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("XIOPRO_BUS_DSN", "  ")
    monkeypatch.setenv("XIOPRO_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.bus_dsn is None
    assert settings.home == tmp_path


def test_servers_run_on_uvloop_by_default_and_on_plain_asyncio_when_asked(monkeypatch):
    from servers.cli.serve import loop_options

    assert loop_options(load_settings()) == {"use_uvloop": True}  # a declared dependency on Linux
    monkeypatch.setenv("XIOPRO_EVENT_LOOP", "asyncio")
    assert loop_options(load_settings()) == {}


def test_unknown_event_loop_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("XIOPRO_EVENT_LOOP", "trio")
    with pytest.raises(StartupError) as caught:
        load_settings()
    assert str(caught.value).startswith("XIOPRO_EVENT_LOOP ")
