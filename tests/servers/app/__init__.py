"""Tests of servers.app."""
