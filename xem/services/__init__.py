"""XEM use cases: each one unit of work on the bus database (schema ``xem``), called as
``xem.services.<use_case>(XemServices(pool), ...)`` by the router, xem-mcp, xeroctl and tests."""

from xem.services._work import XemServices
from xem.services.approvals import decide_approval, expire_approvals, list_approvals, set_policy, show_policies
from xem.services.dispatching import (
    cancels_due,
    create_dispatch,
    dispatches_due,
    mark_delivered,
    mark_sent,
    record_progress,
    record_result,
)
from xem.services.enrollment import EnrollOutcome, enroll, record_refusal
from xem.services.invocations import (
    CallRequest,
    Started,
    cancel_invocation,
    exec_catalog,
    get_invocation,
    progress_since,
    start_invocation,
)
from xem.services.leases import LeaseOutcome, authorize, mark_offline, renew, store_candidates, store_manifest
from xem.services.odm_link import odm_attempted, odm_pending
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
from xem.services.recovery import list_invocations, resolve_ambiguous

__all__ = [
    "AgentRow",
    "CallRequest",
    "Started",
    "cancel_invocation",
    "cancels_due",
    "decide_approval",
    "exec_catalog",
    "expire_approvals",
    "get_invocation",
    "list_approvals",
    "list_invocations",
    "odm_attempted",
    "odm_pending",
    "progress_since",
    "resolve_ambiguous",
    "set_policy",
    "show_policies",
    "start_invocation",
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

