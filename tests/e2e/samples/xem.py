"""Inspector sample calls for every xem-mcp tool (see tests/e2e/samples/__init__.py). No agent is enrolled in this
run, so the exec-tool calls answer their documented errors; tests/xem/test_inspector_agent.py runs the Inspector
with an agent's tools listed."""

from tests.e2e.samples import Sample

NO_SUCH = "00000000-0000-0000-0000-000000000000"

SAMPLES: dict[str, Sample] = {
    "health": Sample(),
    "list_agents": Sample({"limit": 5}),
    "list_exec_tools": Sample({"query": "git", "limit": 5}),
    "describe_exec_tool": Sample({"workspace": "repo", "tool": "git_status"}, expect="not_found"),
    "invoke": Sample({"workspace": "repo", "tool": "git_status", "arguments": {}, "idempotency_key": "e2e-1"},
                     expect="not_found"),
    "get_invocation": Sample({"id": NO_SUCH}, expect="not_found"),
    "learnings": Sample({"workspace": "repo", "tool": "git_status", "limit": 5}),
    "cancel_invocation": Sample({"id": NO_SUCH}, expect="not_found"),
    "approval_policy": Sample({"workspace": "repo", "risk": "write", "required": True, "sla_s": 600,
                               "escalation": ["oncall"]}),
    "decide_approval": Sample({"id": NO_SUCH, "decision": "approved", "reason": "e2e"}, expect="not_found"),
    "resolve_ambiguous": Sample({"id": NO_SUCH, "outcome": "failed", "note": "e2e"}, expect="not_found"),
    "report_model": Sample({"id": "llm-check", "available": True, "host": "xim-1"}),
    "model": Sample({"action": "set", "id": "llm-plan", "available": True, "provider": "local"}),
    "workspace": Sample({"action": "bind", "name": "repo", "planner": "llm-plan", "executor": "llm-check",
                         "verifier": "llm-none"}, expect="not_found"),
    "create_template": Sample({"scope": "workspace", "owner": "repo", "idempotency_key": "e2e-template", "document": {
        "name": "e2e_review", "description": "e2e", "system_prompt": "Review ${workspace}.", "allowed_tools": ["git_*"],
        "approval_cadence": "per_policy"}}),
    "list_templates": Sample({"limit": 5}),
    "request_subplan": Sample({"workspace": "repo", "template": "incident_triage", "max_iterations": 2,
                               "idempotency_key": "e2e-subplan"}),
    "close_subplan": Sample({"id": NO_SUCH}, expect="not_found"),
}
