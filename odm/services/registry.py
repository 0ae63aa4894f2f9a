
"""Users (with the configured primary user), topics and hosts."""

from __future__ import annotations

import asyncpg

from odm.domain.commands import HostRegister, TopicCreate, UserCreate
from odm.domain.views import HostOut, TopicOut, UserOut
from odm.errors import Conflict
from odm.services._work import Work, need, transactional
from odm.services.projects import check_topics

__all__ = ["create_topic", "create_user", "ensure_primary_user", "list_hosts", "list_topics", "list_users",
           "register_host"]

@transactional
async def ensure_primary_user(w: Work) -> str:
    """Create or update the configured primary user and make it the only primary one; returns its id.
    Processes starting at once take turns (a transaction-scoped lock)."""
    settings = w.services.settings
    await w.users.lock_primary()
    row = await w.users.by_name(settings.primary_user)
    if row is None:
        row = await w.users.insert(name=settings.primary_user, email=settings.primary_user_email,
                                   role=settings.primary_user_role, created_by="configuration")
    elif (row["email"], row["role"]) != (settings.primary_user_email or row["email"], settings.primary_user_role):
        row = need(await w.users.update(row["id"], email=settings.primary_user_email or row["email"],
                                        role=settings.primary_user_role, updated_by="configuration"),
                   "user", settings.primary_user)
    await w.users.make_primary(row["id"])
    return str(row["id"])


@transactional
async def create_user(w: Work, cmd: UserCreate) -> UserOut:
    """Raises: Conflict (name taken), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_user", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return UserOut.model_validate(dict(need(await w.users.get(existing), "user", existing)))
    if await w.users.by_name(cmd.name):
        raise Conflict(f"a user named {cmd.name!r} exists already; list_users (--toolsets planning) shows it")
    row = await w.users.insert(name=cmd.name, email=cmd.email, role=cmd.role, auth_accounts=list(cmd.auth_accounts),
                               notification_channels=list(cmd.notification_channels), created_by=cmd.actor,
                               updated_by=cmd.actor, idempotency_key=cmd.idempotency_key)
    if cmd.idempotency_key:
        await w.idempotency.bind("create_user", cmd.idempotency_key, row["id"])
    return UserOut.model_validate(dict(row))


@transactional
async def list_users(w: Work) -> list[UserOut]:
    return [UserOut.model_validate(dict(r)) for r in await w.users.all()]


async def topic_out(w: Work, row: asyncpg.Record) -> TopicOut:
    return TopicOut.model_validate(dict(row) | {"related_topic_ids": await w.topics.related(row["id"])})


@transactional
async def create_topic(w: Work, cmd: TopicCreate) -> TopicOut:
    """A topic in the tree (under ``parent_topic_id``), related both ways to ``related_topic_ids``.

    Raises:
        NotFound (parent or related topic), IdempotencyMismatch.
    """
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_topic", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await topic_out(w, await w.topics.get(existing))
    await check_topics(w, [cmd.parent_topic_id] if cmd.parent_topic_id else [])
    await check_topics(w, list(cmd.related_topic_ids))
    row = await w.topics.insert(name=cmd.name, parent_topic_id=cmd.parent_topic_id, description=cmd.description,
                                taxonomy=list(cmd.taxonomy), created_by=cmd.actor, updated_by=cmd.actor,
                                idempotency_key=cmd.idempotency_key)
    await w.topics.relate(row["id"], list(dict.fromkeys(cmd.related_topic_ids)))
    if cmd.idempotency_key:
        await w.idempotency.bind("create_topic", cmd.idempotency_key, row["id"])
    return await topic_out(w, row)


@transactional
async def list_topics(w: Work, *, parent_topic_id: str | None = None, limit: int = 200) -> list[TopicOut]:
    """Children of ``parent_topic_id``, or the roots of the tree."""
    rows = await w.topics.page(parent_topic_id=parent_topic_id, roots=parent_topic_id is None, limit=limit)
    return [await topic_out(w, r) for r in rows]


@transactional
async def register_host(w: Work, cmd: HostRegister) -> HostOut:
    """Register a host, or update the one with that name (its capacity and status change over time)."""
    values = cmd.model_dump(exclude={"actor", "idempotency_key"})
    values["active_services"] = list(values["active_services"])
    existing = await w.hosts.by_name(cmd.name)
    if existing is None:
        row = await w.hosts.insert(**values, created_by=cmd.actor, updated_by=cmd.actor,
                                   idempotency_key=cmd.idempotency_key)
    else:
        row = await w.hosts.update(existing["id"], **values, updated_by=cmd.actor)
    return HostOut.model_validate(dict(row))


@transactional
async def list_hosts(w: Work) -> list[HostOut]:
    return [HostOut.model_validate(dict(r)) for r in await w.hosts.all()]


