"""Bus resources (bus://agents, bus://leases/{name}, ...), legacy subscriptions and the prompt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from mcp.server.mcpserver import Context

from bus.domain.leases import GO_LEASE
from bus.errors import NotFound
from bus.services import BusServices, agents, alerts, events, leases, messages, todos
from servers.app import SuiteServer
from servers.app.prompts import install_prompt
from servers.app.resources import resource_errors
from servers.bus._context import services
from servers.bus.push import install_legacy_subscribe

__all__ = ["register"]



def static_services(server: SuiteServer) -> BusServices:
    """The services of a static resource's server (static resources get no Context)."""
    assert server.runtime is not None, "build_server sets the runtime"
    return server.runtime.services


def register(server: SuiteServer) -> None:
    install_legacy_subscribe(server)
    install_prompt(server, "attention_brief", _attention_queue)

    @server.resource("bus://agents", name="agents", title="Registered agents", mime_type="application/json",
                     description="Every registered agent with its liveness (online, stale, offline, error) and the go holder.")
    @resource_errors
    async def agent_list() -> dict[str, Any]:
        svc = static_services(server)
        everyone = []
        after = None
        while True:
            page = await agents.list_agents(svc, after_id=after, limit=200)
            everyone.extend(page)
            if len(page) < 200:
                break
            after = page[-1].id
        master = await _master(svc)
        return {"master": master, "agents": [a.model_dump(mode="json") for a in everyone]}

    @server.resource("bus://agents/{agent_id}", name="agent", title="One agent", mime_type="application/json",
                     description="One registered agent: role, host, capabilities, liveness, in-flight work.")
    @resource_errors
    async def agent(ctx: Context, agent_id: str) -> dict[str, Any]:
        return (await agents.get(services(ctx), agent_id)).model_dump(mode="json")

    @server.resource("bus://leases/{name}", name="lease", title="A named lease", mime_type="application/json",
                     description="Holder, fencing token and expiry of a named lease (go: the system master).")
    @resource_errors
    async def lease(ctx: Context, name: str) -> dict[str, Any]:
        return (await leases.get(services(ctx), name)).model_dump(mode="json")

    @server.resource("bus://inbox/{agent_id}", name="inbox", title="An agent's inbox", mime_type="application/json",
                     description="Unacknowledged messages of one agent, oldest first (first 50); subscribe for a push "
                                 "when a message arrives. Reading it marks nothing read.")
    @resource_errors
    async def inbox(ctx: Context, agent_id: str) -> dict[str, Any]:
        page = await messages.fetch_inbox(services(ctx), agent_id, limit=50, mark_read=False)
        return page.model_dump(mode="json")

    @server.resource("bus://messages/{message_id}", name="message", title="One message", mime_type="application/json",
                     description="One message in full (fetch_inbox cuts long bodies), with per-recipient receipts.")
    @resource_errors
    async def message(ctx: Context, message_id: str) -> dict[str, Any]:
        if not message_id.isdigit():
            raise NotFound(f"no message {message_id}; message ids are numbers")
        return (await messages.get(services(ctx), int(message_id))).model_dump(mode="json")

    @server.resource("bus://events/{topic}", name="events", title="Latest events of a topic", mime_type="application/json",
                     description="The latest 50 events of a topic, oldest first; subscribe for a push on each new one.")
    @resource_errors
    async def event_topic(ctx: Context, topic: str) -> dict[str, Any]:
        latest = await events.latest(services(ctx), topic)
        return {"topic": topic, "items": [e.model_dump(mode="json") for e in latest]}

    @server.resource("bus://alerts", name="alerts", title="Open alerts", mime_type="application/json",
                     description="Active and acknowledged alerts, newest first (first 200).")
    @resource_errors
    async def alert_list() -> dict[str, Any]:
        page = await alerts.list_alerts(static_services(server), status="open", limit=200)
        return page.model_dump(mode="json")

    @server.resource("bus://alerts/{alert_id}", name="alert", title="One alert", mime_type="application/json",
                     description="One alert with its lifecycle (raised, acknowledged, resolved).")
    @resource_errors
    async def alert(ctx: Context, alert_id: str) -> dict[str, Any]:
        if not alert_id.isdigit():
            raise NotFound(f"no alert {alert_id}; alert ids are numbers")
        return (await alerts.get(services(ctx), int(alert_id))).model_dump(mode="json")

    @server.resource("bus://todos", name="todos", title="The attention queue", mime_type="application/json",
                     description="Open and in-progress todos for humans, most urgent first (first 200), every field.")
    @resource_errors
    async def todo_queue() -> dict[str, Any]:
        queue = await todos.full_queue(static_services(server), status="active", limit=200)
        return {"items": [t.model_dump(mode="json") for t in queue]}

    @server.resource("bus://todos/{todo_id}", name="todo", title="One todo", mime_type="application/json",
                     description="One attention-queue todo with every field of spec 4.14.")
    @resource_errors
    async def todo(ctx: Context, todo_id: str) -> dict[str, Any]:
        try:
            key = UUID(todo_id)
        except ValueError:
            raise NotFound(f"no todo {todo_id}; todo ids are UUIDs from list_todos") from None
        return (await todos.get(services(ctx), key)).model_dump(mode="json")


async def _attention_queue(ctx: Context, arguments: dict[str, str]) -> dict[str, str]:
    """The prompt's server-side values: the open queue as numbered lines, most urgent first."""
    assigned_to = (arguments.get("assigned_to") or "").strip()
    queue = await todos.full_queue(services(ctx), status="active", limit=200)
    if assigned_to:
        queue = [t for t in queue if t.assigned_to == assigned_to]
    lines = []
    for n, t in enumerate(queue, 1):
        link = f" [{t.linked_type} {t.linked_id}]({t.linked_url or ''})" if t.linked_type else ""
        env = f" ({t.environment})" if t.environment else ""
        state = " — in progress" if t.status == "in_progress" else ""
        lines.append(
            f"{n}. [{t.priority}] {t.title}{env}{link}{state}; since {t.created_at:%Y-%m-%d %H:%M} UTC; "
            f"by {t.created_by}; todo {t.id}"
        )
        if t.description:
            lines.append("   " + t.description.strip().replace("\n", "\n   ")[:500])
    return {
        "audience": assigned_to or "the team's humans",
        "now": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "count": str(len(queue)),
        "queue": "\n".join(lines) or "(the queue is empty)",
    }


async def _master(svc: BusServices) -> str | None:
    try:
        go = await leases.get(svc, GO_LEASE)
    except NotFound:
        return None
    return go.holder if go.held else None
