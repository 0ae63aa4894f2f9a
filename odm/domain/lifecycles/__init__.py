"""Lifecycles as data: ``machine`` is the engine (pairs, transitions, checked when built), ``tables`` the
lifecycle of every kind, derived from blueprint §5."""

from odm.domain.lifecycles.machine import Edge, Lifecycle, build_lifecycle, split_pair
from odm.domain.lifecycles.tables import KINDS, LIFECYCLES, lifecycle

__all__ = ["KINDS", "LIFECYCLES", "Edge", "Lifecycle", "build_lifecycle", "lifecycle", "split_pair"]
