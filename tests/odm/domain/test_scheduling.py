"""The scheduler's pure rules: cron evaluation in a time zone, first due times, and the coalescing of missed runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from odm.domain.scheduling import MISSED_COUNT_CAP, ScheduleCreate, coalesce_due, first_due, next_cron
from odm.domain.timing import time_status

T0 = datetime(2026, 12, 31, tzinfo=UTC)


def test_cron_is_evaluated_in_the_schedules_time_zone_across_daylight_saving():
    winter = next_cron("0 9 * * *", "America/New_York", datetime(2026, 1, 10, tzinfo=UTC))
    summer = next_cron("0 9 * * *", "America/New_York", datetime(2026, 7, 10, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (14, 13)


def test_first_due_is_the_first_match_at_or_after_the_anchor_and_none_for_events():
    assert first_due("periodic", run_at=T0, cron_expr="*/10 * * * *", tz="UTC", now=T0) == T0
    assert first_due("periodic", run_at=T0 + timedelta(minutes=1), cron_expr="*/10 * * * *", tz="UTC",
                     now=T0) == T0 + timedelta(minutes=10)
    assert first_due("immediate", run_at=None, cron_expr=None, tz="UTC", now=T0) == T0
    assert first_due("event_driven", run_at=None, cron_expr=None, tz="UTC", now=T0) is None


def test_missed_runs_coalesce_into_the_latest_due_one():
    handed, missed, following = coalesce_due("*/10 * * * *", "UTC", T0, T0 + timedelta(minutes=35))
    assert (handed, missed, following) == (T0 + timedelta(minutes=30), 3, T0 + timedelta(minutes=40))
    assert coalesce_due("*/10 * * * *", "UTC", T0, T0) == (T0, 0, T0 + timedelta(minutes=10))


def test_a_very_long_outage_counts_missed_runs_up_to_the_cap_and_still_hands_out_the_latest():
    now = T0 + timedelta(minutes=5000, seconds=30)
    handed, missed, following = coalesce_due("* * * * *", "UTC", T0, now)
    assert missed == MISSED_COUNT_CAP and handed == T0 + timedelta(minutes=5000)
    assert following == T0 + timedelta(minutes=5001)


@pytest.mark.parametrize("expr", ["61 * * * *", "* * *", "every day", "0 0 31 2 *", "*/0 * * * *"])
def test_an_invalid_cron_expression_is_refused_naming_cron_expr(expr):
    with pytest.raises(ValueError, match="cron_expr"):
        ScheduleCreate(mode="periodic", task_id="1001.01", cron_expr=expr)


def test_time_status_is_the_worse_of_deadline_and_duration():
    row = {"status": "execute", "created_at": T0, "queued_at": T0, "sla_due_at": T0 + timedelta(hours=10),
           "plan_duration_minutes": 100, "actual_duration_minutes": 10}
    assert time_status(row, T0 + timedelta(hours=1)) == "on_track"
    assert time_status(row, T0 + timedelta(hours=8)) == "at_risk"
    assert time_status(row | {"actual_duration_minutes": 101}, T0 + timedelta(hours=1)) == "breached"
    assert time_status(row | {"status": "complete", "completed_at": T0 + timedelta(hours=11)}, T0) == "breached"
    assert time_status({"status": "plan", "created_at": T0}, T0) is None
