"""Inspector sample calls for every odm-mcp tool (see tests/e2e/samples/__init__.py)."""

from tests.e2e.samples import Sample

PROJECT = "$ref:create_project.id"
TICKET = "$ref:create_ticket.id"
TASK = "$ref:create_task.id"

SAMPLES: dict[str, Sample] = {
    "health": Sample(),
    "create_project": Sample({"name": "XIOPro", "description": "the platform", "idempotency_key": "e2e-project"}),
    "update_project": Sample({"id": PROJECT, "lifecycle_phase": "planning"}),
    "get_project": Sample({"id": PROJECT}),
    "list_projects": Sample({"limit": 5}),
    "set_roster_member": Sample({"project_id": PROJECT, "agent_id": "101", "roles": ["coder"],
                                 "allocation": "full_time", "is_project_orchestrator": True}),
    "remove_roster_member": Sample({"project_id": PROJECT, "agent_id": "101"}),
    "create_sprint": Sample({"project_id": PROJECT, "name": "S1", "start_date": "2026-01-05T00:00:00Z",
                             "end_date": "2026-01-16T00:00:00Z"}),
    "list_sprints": Sample({"project_id": PROJECT}),
    "create_topic": Sample({"name": "authentication", "taxonomy": ["security"]}),
    "list_topics": Sample(),
    "create_ticket": Sample({"project_id": PROJECT, "title": "Login page", "plan_cost": 10, "plan_duration": 120,
                             "topics": ["$ref:create_topic.id"]}),
    "update_ticket": Sample({"id": TICKET, "sprint_id": "$ref:create_sprint.id", "priority": "high"}),
    "list_tickets": Sample({"project_id": PROJECT}),
    "import_ticket": Sample({"id": "069", "project_id": PROJECT, "title": "historical", "status": "complete",
                             "state": "completed"}),
    "create_task": Sample({"ticket_id": TICKET, "title": "Design the form", "objective": "a reviewed design",
                           "acceptance_criteria": ["fields listed"], "plan_cost": 2, "idempotency_key": "e2e-task"}),
    "update_task": Sample({"id": TASK, "acceptance_criteria": ["fields listed", "reviewed"]}),
    "list_tasks": Sample({"ticket_id": TICKET}),
    "next_task": Sample({"agent_id": "101", "lease_seconds": 120}),
    "renew_claims": Sample({"agent_id": "101", "lease_seconds": 300}),
    "transition": Sample({"kind": "task", "id": TASK, "status": "complete", "state": "completed",
                          "claim_token": "$ref:next_task.claim_token"}),
    "release_claims": Sample({"agent_id": "101"}),
    "search": Sample({"query": "login form", "kinds": ["ticket", "task"]}),
    "evolve_ticket": Sample({"ticket_id": TICKET, "action": "spawn_subticket", "reason": "logout is separate",
                             "parts": [{"title": "Logout", "plan_cost": 3}]}),
    "list_overrides": Sample({"scope_type": "task"}),
    "create_user": Sample({"name": "Reviewer One", "role": "reviewer", "notification_channels": ["email"]}),
    "list_users": Sample(),
    "register_host": Sample({"name": "control-1", "role": "control_plane", "vcpus": 16, "ram_gb": 30}),
    "list_hosts": Sample(),
    "create_idea": Sample({"title": "Dark mode", "review_cycle": "weekly", "topic_id": "$ref:create_topic.id"}),
    "create_thread": Sample({"thread_type": "design", "title": "Dark mode?", "project_id": PROJECT,
                             "idea_ids": ["$ref:create_idea.id"]}),
    "link_idea_thread": Sample({"idea_id": "$ref:create_idea.id", "thread_id": "$ref:create_thread.id"}),
    "list_ideas": Sample({"status": ["new"]}),
    "list_threads": Sample({"project_id": PROJECT}),
    "promote_idea": Sample({"idea_id": "$ref:create_idea.id", "project_id": PROJECT}, expect="invalid_transition"),
    "promote_thread": Sample({"thread_id": "$ref:create_thread.id"}, expect="invalid_transition"),
}
