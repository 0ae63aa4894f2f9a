"""Users (with the configured primary user), topics and hosts."""

from __future__ import annotations

import asyncpg

from odm.commands import HostRegister, TopicCreate, UserCreate
from odm.errors import Conflict
from odm.services._core import Work, transactional
from odm.services.projects import check_topics
from odm.settings import OdmSettings
from odm.store import Tx
from odm.views import HostOut, TopicOut, UserOut

__all__ = ["create_topic", "create_user", "ensure_primary_user", "list_hosts", "list_topics", "list_users",
           "register_host"]

_PRIMARY_LOCK = 0x5849_0D02


async def ensure_primary_user(pool: asyncpg.Pool, settings: OdmSettings) -> str:
    """Create or update the configured primary user and make it the only primary one; returns its id."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PRIMARY_LOCK)
        tx = Tx(conn)
        row = await tx.users.by_name(settings.primary_user)
        if row is None:
            row = await tx.users.insert(name=settings.primary_user, email=settings.primary_user_email,
                                        role=settings.primary_user_role, created_by="configuration")
        elif (row["email"], row["role"]) != (settings.primary_user_email or row["email"], settings.primary_user_role):
            row = await tx.users.update(row["id"], email=settings.primary_user_email or row["email"],
                                        role=settings.primary_user_role, updated_by="configuration")
        await tx.users.make_primary(row["id"])
        return row["id"]


@transactional
async def create_user(w: Work, cmd: UserCreate) -> UserOut:
    """Raises: Conflict (name taken), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_user", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return UserOut.model_validate(dict(await w.users.get(existing)))
    if await w.users.by_name(cmd.name):
        raise Conflict(f"a user named {cmd.name!r} exists already; list_users shows it")
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


