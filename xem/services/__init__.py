"""XEM use cases: each one unit of work on the bus database (schema ``xem``), called as
``xem.services.<use_case>(XemServices(pool), ...)`` by the router, xem-mcp, xeroctl and tests."""

from xem.services._work import XemServices
from xem.services.approvals import decide_approval, expire_approvals, list_approvals, set_policy, show_policies
from xem.services.dispatching import (
    cancels_due,
    claim_dispatches,
    create_dispatch,
    mark_delivered,
    record_progress,
    record_result,
    unsend,
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
from xem.services.learnings import learnings, list_forks
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
from xem.services.subplans import SubplanView, close_subplan, expire_subplans, get_subplan, request_subplan
from xem.services.templates import (
    TemplateLine,
    create_template,
    find_template,
    list_templates,
    resolve_template,
    template_names,
)
from xem.services.workspaces import (
    ModelRow,
    WorkspaceRow,
    bind_workspace,
    create_workspace,
    get_workspace,
    list_models,
    list_workspaces,
    promote_workspace,
    set_model,
    set_scope,
)

__all__ = [
    "ModelRow",
    "WorkspaceRow",
    "bind_workspace",
    "create_workspace",
    "get_workspace",
    "list_models",
    "list_workspaces",
    "promote_workspace",
    "set_model",
    "set_scope",
    "AgentRow",
    "CallRequest",
    "Started",
    "SubplanView",
    "TemplateLine",
    "close_subplan",
    "create_template",
    "expire_subplans",
    "find_template",
    "get_subplan",
    "list_templates",
    "request_subplan",
    "resolve_template",
    "template_names",
    "cancel_invocation",
    "cancels_due",
    "decide_approval",
    "exec_catalog",
    "expire_approvals",
    "get_invocation",
    "learnings",
    "list_approvals",
    "list_forks",
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
    "claim_dispatches",
    "create_dispatch",
    "enroll",
    "join_keys",
    "list_agents",
    "list_candidates",
    "load_keyring",
    "mark_delivered",
    "mark_offline",
    "mint_join_key",
    "record_progress",
    "record_refusal",
    "record_result",
    "recover",
    "renew",
    "store_candidates",
    "store_manifest",
    "unsend",
]

