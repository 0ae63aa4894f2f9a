"""Lifecycles as data: ``machine`` is the engine (pairs, transitions, checked when built), ``tables`` the
lifecycle of every kind, derived from blueprint §5; ``follow`` the automatic moves (parents follow children,
dependents of a dead task are blocked)."""

from odm.domain.lifecycles.follow import DEAD, FINISHED, describe_follows, follow_target
from odm.domain.lifecycles.machine import Edge, Lifecycle, build_lifecycle, split_pair
from odm.domain.lifecycles.tables import KINDS, LIFECYCLES, lifecycle

__all__ = ["DEAD", "FINISHED", "KINDS", "LIFECYCLES", "Edge", "Lifecycle", "build_lifecycle", "describe_follows",
           "follow_target", "lifecycle", "split_pair"]
