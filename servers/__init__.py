"""The thin MCP layer: one module per server (bus, odm, xem), xeroctl, and the shared plumbing."""

from servers.kernel.version import VERSION

__all__ = ["VERSION"]
