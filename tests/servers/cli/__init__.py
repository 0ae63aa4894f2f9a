"""Tests of servers.cli."""
