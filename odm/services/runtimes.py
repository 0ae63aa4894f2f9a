"""Agent runtime use cases (§4.8, lifecycle §5.5.3, recovery §5.7): spawn under the template's spawn policy, move
through the lifecycle (health follows), the heartbeat the Bus relays, and reads with health computed on read."""

from __future__ import annotations

from typing import Any, get_args

import asyncpg

from odm.domain.execution import HealthState, RuntimeMove, RuntimeSpawn
from odm.domain.execution_views import InterventionOut, RuntimeBrief, RuntimeHeartbeat, RuntimeOut, SpentOut
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.views import Page
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services import interventions
from odm.services._work import OdmServices, Work, read_only, transactional
from odm.services.budgets import check_agent_not_held
from odm.store import decode_cursor, encode_cursor

__all__ = ["get_runtime", "heartbeat", "list_runtimes", "move_runtime", "need_runtime", "spawn_runtime"]

RUNTIME = LIFECYCLES["runtime"]
_KIND_OF_ROLE = {"orchestrator": "orchestrator", "specialist": "specialist", "worker": "worker", "interface": "interface"}
# health a lifecycle move sets (§4.8); moves not listed leave it as it is
_HEALTH_OF = {"recover.ready": "recovering", "recover.retry": "recovering", "recover.failed": "failed",
              "execute.blocked": "blocked", "execute.active": "healthy", "execute.paused": "healthy",
              "discussion.waiting": "healthy", "ready.ready": "healthy"}
_ENDED = ("complete", "archive")


def _thresholds(services: OdmServices) -> tuple[float, float]:
    return services.settings.runtime_degraded_after_s, services.settings.runtime_failed_after_s


def _live(row: asyncpg.Record) -> bool:
    return row["status"] not in _ENDED and row["status_state"] != "recover.failed"


async def need_runtime(w: Work, runtime_id: str, field: str = "runtime_id", *, lock: bool = False) -> asyncpg.Record:
    row = await w.runtimes.get(runtime_id, lock=lock)
    if row is None:
        raise NotFound(f"{field}: no agent runtime {runtime_id}; spawn it with spawn_runtime (--toolsets execution)")
    return row


async def _template(w: Work, cmd: RuntimeSpawn) -> asyncpg.Record:
    row = (await w.templates.latest(cmd.template) if cmd.template_version is None
           else await w.templates.version(cmd.template, cmd.template_version))
    if row is None:
        version = f" v{cmd.template_version}" if cmd.template_version else ""
        raise NotFound(f"template: no agent template {cmd.template}{version}; read odm://templates for the templates")
    return row


async def _check_parent(w: Work, cmd: RuntimeSpawn, template: asyncpg.Record) -> asyncpg.Record | None:
    if cmd.parent_runtime_id is None:
        if template["parent_required"]:
            raise InvalidArgument(f"parent_runtime_id: template {template['agent_id']} requires a parent runtime "
                                  "(spawn_policy.parent_required); give the spawning runtime's id")
        return None
    parent = await need_runtime(w, cmd.parent_runtime_id, "parent_runtime_id", lock=True)  # serialises its spawns
    if not _live(parent):
        raise Conflict(f"parent_runtime_id: runtime {parent['id']} is {parent['status_state']}; only a live runtime spawns")
    limit = need_template_row(await w.templates.get(parent["agent_template_id"]))["max_children"]
    children = await w.runtimes.live_children(parent["id"])
    if limit is not None and len(children) >= limit:
        raise Conflict(f"parent_runtime_id: runtime {parent['id']} already has {len(children)} live children "
                       f"({', '.join(children) or 'none'}) of its template's max_children={limit}; complete one first")
    return parent


def need_template_row(row: asyncpg.Record | None) -> asyncpg.Record:
    assert row is not None  # a runtime's template is a foreign key
    return row


async def _check_parallel(w: Work, template: asyncpg.Record) -> None:
    limit = template["max_parallel_runs"]
    await w.templates.lock_agent(template["agent_id"])  # two spawns of one template wait for each other
    running = await w.runtimes.live_of_template(template["agent_id"])
    if limit is not None and len(running) >= limit:
        raise Conflict(f"template: {template['agent_id']} allows max_parallel_runs={limit} and runs {', '.join(running)}; "
                       "complete or cancel one first")


@transactional
async def spawn_runtime(w: Work, cmd: RuntimeSpawn) -> RuntimeOut:
    """A runtime of a template (latest version unless given), ready to open a session.

    Raises:
        NotFound (template, parent, surface), InvalidArgument (a required parent missing), Conflict (the agent id has a
        runtime; the parent's max_children or the template's max_parallel_runs reached).
    """
    if cmd.idempotency_key is not None:
        existing = await w.idempotency.begin("spawn_runtime", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await _out(w, existing, note="already spawned under this idempotency_key")
    template = await _template(w, cmd)
    if cmd.execution_surface_id is not None and await w.surfaces.get(cmd.execution_surface_id) is None:
        raise NotFound(f"execution_surface_id: no execution surface {cmd.execution_surface_id}; register it with "
                       "register_surface (--toolsets execution)")
    parent = await _check_parent(w, cmd, template)
    await _check_parallel(w, template)
    if (taken := await w.runtimes.get(cmd.agent_id)) is not None:
        raise Conflict(f"agent_id: agent {cmd.agent_id} already has a runtime ({taken['status_state']}); one runtime per "
                       "agent id (the Bus agent id, §19.3): use another agent id")
    kind: str = cmd.runtime_kind or next((_KIND_OF_ROLE[r] for r in template["roles"] if r in _KIND_OF_ROLE), "system")
    binding = {"provider": cmd.provider or template["default_provider"], "model": cmd.model or template["default_model"],
               "auth_method": cmd.auth_method or template["default_auth_method"],
               "auth_account": cmd.auth_account or template["default_auth_account"]}
    values: dict[str, Any] = cmd.model_dump(include={"execution_surface_id", "assigned_ticket_id", "assigned_task_id",
                                                     "current_goal", "api_key_ref", "litellm_model_id", "host_id"})
    status, state = "ready", "ready"  # Spawn -> Ready (§5.5.3): create.queued is never held
    orchestrator = None if parent is None else (
        parent["id"] if parent["runtime_kind"] == "orchestrator" else parent["orchestrator_id"])
    try:
        await w.runtimes.insert(id=cmd.agent_id, agent_template_id=template["id"], runtime_kind=kind,
                                parent_runtime_id=cmd.parent_runtime_id,
                                root_runtime_id=None if parent is None else parent["root_runtime_id"] or parent["id"],
                                orchestrator_id=orchestrator, status=status, state=state, started_at=await w.now(),
                                **binding, **values)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"agent_id: agent {cmd.agent_id} was just given a runtime by another caller") from None
    if cmd.idempotency_key is not None:
        await w.idempotency.bind("spawn_runtime", cmd.idempotency_key, cmd.agent_id)
    return await _out(w, cmd.agent_id, note=f"spawned runtime {cmd.agent_id} of template {template['agent_id']} "
                                            f"v{template['version']}; open a session with open_session (--toolsets execution)")


@transactional
async def move_runtime(w: Work, cmd: RuntimeMove) -> RuntimeOut:
    """Move a runtime along §5.5.3 (recovery per §5.7: recover.ready -> recover.retry [switch model or surface] ->
    execute.active, or recover.failed); its stored health follows the move.

    Raises: NotFound, InvalidTransition (outside the lifecycle), InvalidArgument (a switch outside a retry).
    """
    row = await need_runtime(w, cmd.runtime_id, lock=True)
    RUNTIME.check(row["status_state"], cmd.to, subject=f"runtime {row['id']}")
    switch = {k: v for k, v in (("model", cmd.model), ("execution_surface_id", cmd.execution_surface_id)) if v}
    if switch and cmd.to not in ("recover.retry", "execute.active"):
        raise InvalidArgument(f"{', '.join(switch)}: a runtime switches model or surface on its way back to work "
                              "(to recover.retry or execute.active), not to " + cmd.to)
    if cmd.execution_surface_id and await w.surfaces.get(cmd.execution_surface_id) is None:
        raise NotFound(f"execution_surface_id: no execution surface {cmd.execution_surface_id}")
    status, state = cmd.to.split(".")
    values: dict[str, Any] = {"status": status, "state": state, **switch}
    if cmd.to in _HEALTH_OF:
        values["health_state"] = _HEALTH_OF[cmd.to]
    if cmd.last_error is not None:
        values["last_error"] = cmd.last_error
    if cmd.recoverable is not None:
        values["recoverable"] = cmd.recoverable
    if status in _ENDED or cmd.to == "recover.failed":
        values["ended_at"] = await w.now()
    await w.runtimes.update(row["id"], **values)
    return await _out(w, row["id"], note=f"runtime {row['id']} moved from {row['status_state']} to {cmd.to}")


async def heartbeat(services: OdmServices, agent_id: str, renew: bool, lease_seconds: int | None) -> RuntimeHeartbeat:
    """What a Bus heartbeat does in the ODM: stamp the agent's runtime (if it has one) and, if asked, renew its claims.

    Raises: BudgetExceeded (renewing a claim on a task held for budget; the runtime is stamped all the same).
    """
    row = await _stamp(services, agent_id)
    renewed = await _renew(services, agent_id, lease_seconds) if renew else []
    if row is None:
        return RuntimeHeartbeat(agent_id=agent_id, task_ids=renewed)
    return RuntimeHeartbeat(agent_id=agent_id, task_ids=renewed, runtime_id=row["id"],
                            health_state=row["effective_health"], status_state=row["status_state"])


@transactional
async def _stamp(w: Work, agent_id: str) -> asyncpg.Record | None:
    return await w.runtimes.heartbeat(agent_id, *_thresholds(w.services))


@transactional
async def _renew(w: Work, agent_id: str, lease_seconds: int | None) -> list[str]:
    await check_agent_not_held(w, agent_id)
    return [r["id"] for r in await w.claims.renew(agent_id, lease_seconds)]


async def _out(w: Work, runtime_id: str, note: str | None = None) -> RuntimeOut:
    row = await w.runtimes.view(runtime_id, *_thresholds(w.services))
    if row is None:
        raise NotFound(f"no agent runtime {runtime_id}; read odm://runtimes for the runtimes")
    spent = SpentOut.model_validate(dict(await w.runtimes.spent(runtime_id)))
    now = await w.now()
    active = [InterventionOut.model_validate(r) for r in await interventions.in_effect(w, "agent_runtime", runtime_id, now)]
    return RuntimeOut.model_validate(dict(row) | {
        "health_state": row["effective_health"], "stored_health": row["health_state"], "spent": spent,
        "children": await w.runtimes.children(runtime_id), "interventions": active,
        "sessions": [s["id"] for s in await w.sessions.for_runtime(runtime_id)],
        "claimed_task_ids": await w.runtimes.claimed(runtime_id), "note": note})


@read_only
async def get_runtime(w: Work, runtime_id: str) -> RuntimeOut:
    """A runtime with its health (computed on read), cost and time roll-up, children, claims, interventions in effect.

    Raises: NotFound.
    """
    return await _out(w, runtime_id)


@read_only
async def list_runtimes(w: Work, *, health: str | None = None, cursor: str | None = None,
                        limit: int = 20) -> Page[RuntimeBrief]:
    """Runtimes by agent id, optionally only those whose health (as read now) is ``health``.

    Raises: InvalidArgument (an unknown health).
    """
    if health is not None and health not in get_args(HealthState):
        raise InvalidArgument(f"health: {health!r} is not one of {', '.join(get_args(HealthState))}")
    after = decode_cursor(cursor, 1)
    rows = await w.runtimes.page(health, str(after[0]) if after else None, limit + 1, *_thresholds(w.services))
    items = [RuntimeBrief.model_validate(dict(r) | {"health_state": r["effective_health"]}) for r in rows[:limit]]
    return Page[RuntimeBrief](items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)
