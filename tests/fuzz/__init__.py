"""Schema-driven fuzzing of every MCP tool of every server."""
