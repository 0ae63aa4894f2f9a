"""Faults injected under load: nothing acknowledged is lost, nothing is stored twice."""
