"""Faults under load (16 clients writing to a real bus-mcp and odm-mcp on their own embedded cluster): calls
during the fault fail cleanly, nothing acknowledged is lost, nothing is stored twice, and the servers recover
by themselves. ``python -m bench faults`` prints the same figures with the load held during each fault.

Router and agent crashes are injected by ``tests/xem/test_dispatch_e2e.py`` (kill -9 of the agent mid-run
with its result still queued, of the router mid-renewal): nothing lost, nothing run twice.
"""

from __future__ import annotations

import pytest

from tests.support.faults import run_fault


@pytest.mark.parametrize("fault", ["postgres_restart", "kill_odm", "kill_bus"])
async def test_a_fault_under_load_loses_nothing_duplicates_nothing_and_the_servers_recover(fault, tmp_path):
    report = await run_fault(tmp_path / "home", fault)
    print(report.line())
    assert report.unclean == [], report.unclean[:5]
    assert (report.lost, report.duplicated) == (0, 0), report.line()
    assert report.succeeded > 0 and report.after_fault_ok > 0, f"no call succeeded after the fault: {report.line()}"
    if fault == "postgres_restart":
        assert report.failed_cleanly > 0, "the outage was not felt: the fault did not happen"
