"""Faults under load: for each fault, the load held while it lasted and tried/succeeded/failed-cleanly/lost/
duplicated (lost and duplicated must be 0). 16 clients write ODM tasks and Bus messages over HTTP to servers
on their own embedded cluster; the faults are a PostgreSQL restart and a SIGKILL of each server."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import anyio

from tests.support.faults import run_fault

FAULTS = ("postgres_restart", "kill_odm", "kill_bus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench faults", description=__doc__)
    parser.add_argument("--before", type=float, default=5.0, help="seconds of load before the fault")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after the fault")
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated: {', '.join(FAULTS)}")
    args = parser.parse_args(argv)
    bad = 0
    for fault in args.faults.split(","):
        with tempfile.TemporaryDirectory(prefix="xiopro-faults-") as tmp:
            report = anyio.run(lambda f=fault, t=tmp: run_fault(Path(t) / "home", f, before_s=args.before,
                                                                after_s=args.after))
        print(report.line(), flush=True)
        for line in report.unclean[:5]:
            print(f"    unclean: {line}")
        bad += bool(report.lost or report.duplicated or report.unclean)
    return 1 if bad else 0
