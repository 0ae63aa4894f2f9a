"""Tests of servers.kernel."""
