"""Tests of servers.runtime."""
