"""Enrollment: a join key (checked, then consumed once) binds a CURVE key to a registration_name.

A second, distinct key claiming a name that already has an active key puts the agent in
``conflict_pill``: both keys stay known (so both are heard) but neither receives dispatches
until an operator runs ``xeroctl agents recover``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xem.domain.joinkeys import check_join_key
from xem.domain.keys import fingerprint
from xem.domain.manifest import manifest_hash
from xem.domain.protocol import Enroll
from xem.errors import EnrollmentRefused
from xem.services._work import Work, single_statement, transactional
from xem.services.leases import declare_workspaces

__all__ = ["EnrollOutcome", "enroll", "record_refusal"]


@dataclass(frozen=True)
class EnrollOutcome:
    agent: str
    state: str
    approved_candidates: tuple[str, ...]


@transactional
async def enroll(w: Work, secret: bytes, frame: Enroll, curve_key: str) -> EnrollOutcome:
    """Enroll the agent speaking with ``curve_key``.

    Raises:
        EnrollmentRefused: the key in the frame is not the connection's, or the join key is
            malformed, badly signed, expired, for another role, reused or unknown.
    """
    if frame.public_key != curve_key:
        raise EnrollmentRefused("key_mismatch", "the public key in the enroll frame is not the key of this connection")
    claims = check_join_key(secret, frame.join_key, role=frame.role)
    name = frame.sender
    agents = w.agents
    current = await agents.key(curve_key)
    if current is not None and current.agent_name != name:
        raise EnrollmentRefused("key_in_use", f"this key is already enrolled as {current.agent_name}; one key speaks for one agent")
    used = await w.join_keys.consume(claims.id, name, curve_key)
    if used != "consumed":
        raise EnrollmentRefused(used, "join key was already used; mint a new one" if used == "reused"
                                else "join key is not known to this router; mint one with `xeroctl agents join-keys --create`")
    existing = await agents.get(name, lock=True)
    others = [k for k in await agents.active_keys(name) if k != curve_key] if existing is not None else []
    state = "conflict_pill" if others else "online"
    await agents.create(name, frame.role, state)
    await agents.add_key(curve_key, name, fingerprint(curve_key), claims.id)
    await agents.renew(name, [])
    await agents.store_manifest(name, frame.manifest.model_dump(mode="json"), manifest_hash(frame.manifest),
                                frame.manifest.manifest_version)
    await declare_workspaces(w, name, frame.manifest)
    await agents.upsert_candidates(name, [(c.id, c.kind, c.value) for c in frame.candidates])
    audit = w.audit
    await audit.event("enrolled", agent=name, key=curve_key, fingerprint=fingerprint(curve_key), join_key=str(claims.id))
    if others:
        prints = [fingerprint(k) for k in (*others, curve_key)]
        await audit.event("conflict_pill", agent=name, key=curve_key, fingerprints=prints)
        await audit.alert("conflict_pill", "critical", f"agent {name} is claimed by {len(prints)} keys ({', '.join(prints)}); "
                          f"dispatch is stopped until `xeroctl agents recover {name} --keep-key FINGERPRINT` or --revoke-all",
                          agent=name)
    await w.registry.upsert(name, state)
    await agents.notify_keys_changed(name)
    approved = await agents.approved_candidates(name)
    return EnrollOutcome(name, state, tuple(approved))


@single_statement
async def record_refusal(w: Work, frame: Enroll, curve_key: str, refusal: EnrollmentRefused) -> None:
    await w.audit.event("enroll_refused", agent=frame.sender, key=curve_key, reason=refusal.reason)
