"""Bus settings from XIOPRO_BUS_* / XIOPRO_PRIMARY_USER, and Bus error codes the server knows."""

from __future__ import annotations

import pytest

from bus import errors
from servers.bus import load_bus_settings
from servers.kernel.errors import CODES, StartupError


def test_every_bus_error_has_a_code_the_server_shows():
    classes = [getattr(errors, name) for name in errors.__all__]
    assert all(cls.code in CODES for cls in classes if cls is not errors.SuiteError)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("XIOPRO_BUS_SCAN_INTERVAL_S", "0.5")
    monkeypatch.setenv("XIOPRO_BUS_STALE_AFTER_S", "20")
    monkeypatch.setenv("XIOPRO_PRIMARY_USER", "dana")
    settings = load_bus_settings()
    assert (settings.scan_interval_s, settings.stale_after_s, settings.primary_user) == (0.5, 20, "dana")
    assert settings.offline_after_s == 300 and settings.scan_lease_ttl_s == 1.25


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("XIOPRO_BUS_SCAN_INTERVAL_S", "-1", "XIOPRO_BUS_SCAN_INTERVAL_S Input should be greater than 0"),
        ("XIOPRO_BUS_STALE_AFTER_S", "600", "XIOPRO_BUS_OFFLINE_AFTER_S must be greater than XIOPRO_BUS_STALE_AFTER_S"),
        ("XIOPRO_PRIMARY_USER", "", "XIOPRO_PRIMARY_USER String should have at least 1 character"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(StartupError) as caught:
        load_bus_settings()
    assert caught.value.code == "invalid_argument"
    assert caught.value.message.startswith(expected) and caught.value.message.endswith("start again")
