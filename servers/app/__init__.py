"""The MCP plumbing every server shares: its spec and runtime, the tool registry, the MCPServer built from
them (error shaping, health), prompt files and compact schemas. Imports no server's adapters."""

from servers.app.registry import DEFAULT, ToolDef, ToolGroup, ToolRegistry
from servers.app.server import SuiteServer, build_server
from servers.app.spec import Runtime, ServerSpec, open_runtime, runtime_of

__all__ = ["DEFAULT", "Runtime", "ServerSpec", "SuiteServer", "ToolDef", "ToolGroup", "ToolRegistry", "build_server",
           "open_runtime", "runtime_of"]
