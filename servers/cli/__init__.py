"""servers.cli."""
