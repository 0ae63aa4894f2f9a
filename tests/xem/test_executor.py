"""Running a tool: timeouts kill the whole process group, output is capped, progress streams while it runs."""

from __future__ import annotations

import sys

import anyio

from xem.agent._executor import run_tool

PY = sys.executable


async def test_a_tool_past_its_timeout_is_killed_with_its_children(tmp_path):
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
             "open('child-started', 'w').close(); time.sleep(60)"
    with anyio.fail_after(20):
        outcome = await run_tool([PY, "-c", script], tmp_path, timeout_s=1, max_output_bytes=1024)
    assert outcome.status == "timed_out" and "timed out after 1s" in outcome.error
    assert (tmp_path / "child-started").exists()


async def test_output_beyond_the_limit_is_cut_and_flagged(tmp_path):
    outcome = await run_tool([PY, "-c", "print('x' * 100000)"], tmp_path, timeout_s=20, max_output_bytes=2048)
    assert outcome.status == "succeeded" and outcome.truncated and len(outcome.stdout) == 2048


async def test_progress_arrives_while_the_tool_still_runs(tmp_path):
    seen: list[str] = []
    release = tmp_path / "release"

    async def on_progress(stream: str, data: str) -> None:
        seen.append(data)
        release.touch()  # the tool only finishes after we have seen its first line

    script = "import os, time; print('first', flush=True)\nwhile not os.path.exists('release'): time.sleep(0.01)\nprint('last')"
    with anyio.fail_after(20):
        outcome = await run_tool([PY, "-c", script], tmp_path, timeout_s=20, max_output_bytes=1024,
                                 on_progress=on_progress, progress_interval_s=0)
    assert seen[0] == "first\n" and "".join(seen) == outcome.stdout == "first\nlast\n"


async def test_a_failing_or_missing_program_is_reported_not_raised(tmp_path):
    failed = await run_tool([PY, "-c", "import sys; sys.exit(3)"], tmp_path, timeout_s=20, max_output_bytes=1024)
    assert (failed.status, failed.exit_code, failed.error) == ("failed", 3, "exit status 3")
    missing = await run_tool([str(tmp_path / "nope")], tmp_path, timeout_s=20, max_output_bytes=1024)
    assert missing.status == "failed" and "cannot start" in missing.error


async def test_the_tool_sees_a_minimal_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XIOPRO_BUS_DSN", "postgresql://secret@db/bus")
    outcome = await run_tool([PY, "-c", "import os; print(sorted(os.environ))"], tmp_path, timeout_s=20, max_output_bytes=4096)
    assert "XIOPRO_BUS_DSN" not in outcome.stdout and "PATH" in outcome.stdout
