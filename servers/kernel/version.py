"""The installed distribution's version."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("xiopro-mcp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    VERSION = "0+unknown"
