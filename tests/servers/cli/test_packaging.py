"""A non-editable install works: the wheel ships the migrations, schema snapshots and prompts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_wheel_ships_resources_and_prompts_as_package_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("xiopro_mcp-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {path.relative_to(ROOT).as_posix() for folder in ("resources", "prompts") for path in (ROOT / folder).rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert shipped <= names, f"missing from the wheel: {sorted(shipped - names)}"
    for package in ("servers", "bus", "odm", "xem", "resources", "prompts"):
        assert f"{package}/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("xeroctl", "bus-mcp", "odm-mcp", "xem-mcp", "xem-router", "xem-agent"):
        assert f"{script} = " in scripts
