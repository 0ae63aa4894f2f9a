"""servers.runtime."""
