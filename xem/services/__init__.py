"""XEM use cases: each one unit of work on the bus database (schema ``xem``), called as
``xem.services.<use_case>(XemServices(pool), ...)`` by the router, xem-mcp, xeroctl and tests."""

from xem.services._work import XemServices
from xem.services.dispatching import (
    create_dispatch,
    dispatches_due,
    mark_delivered,
    mark_sent,
    record_progress,
    record_result,
)
from xem.services.enrollment import EnrollOutcome, enroll, record_refusal
from xem.services.leases import LeaseOutcome, authorize, mark_offline, renew, store_candidates, store_manifest
from xem.services.operators import (
    AgentRow,
    approve_candidate,
    audit_drop,
    join_keys,
    list_agents,
    list_candidates,
    load_keyring,
    mint_join_key,
    recover,
)

__all__ = [
    "AgentRow",
    "EnrollOutcome",
    "LeaseOutcome",
    "XemServices",
    "approve_candidate",
    "audit_drop",
    "authorize",
    "create_dispatch",
    "dispatches_due",
    "enroll",
    "join_keys",
    "list_agents",
    "list_candidates",
    "load_keyring",
    "mark_delivered",
    "mark_offline",
    "mark_sent",
    "mint_join_key",
    "record_progress",
    "record_refusal",
    "record_result",
    "recover",
    "renew",
    "store_candidates",
    "store_manifest",
]

