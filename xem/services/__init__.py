"""XEM use cases: each one transaction on the bus database, called by the router, xeroctl and tests."""

from xem.services._dispatching import (
    create_dispatch,
    dispatches_due,
    mark_delivered,
    mark_sent,
    record_progress,
    record_result,
)
from xem.services._enrollment import EnrollOutcome, enroll, record_refusal
from xem.services._leases import LeaseOutcome, authorize, mark_offline, renew, store_candidates, store_manifest
from xem.services._operators import (
    AgentRow,
    approve_candidate,
    audit_drop,
    list_agents,
    list_candidates,
    load_keyring,
    mint_join_key,
    recover,
)

__all__ = [
    "AgentRow", "EnrollOutcome", "LeaseOutcome", "approve_candidate", "audit_drop", "authorize", "create_dispatch", "dispatches_due", "enroll",
    "list_agents", "list_candidates", "load_keyring", "mark_delivered", "mark_offline", "mark_sent", "mint_join_key",
    "record_progress", "record_refusal", "record_result", "recover", "renew", "store_candidates", "store_manifest",
]

KEYS_CHANNEL = "xem_keys"  # NOTIFY payload: agent name whose keys changed
DISPATCH_CHANNEL = "xem_dispatch"  # NOTIFY payload: agent name with a new dispatch
