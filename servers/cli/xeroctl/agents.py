"""``xeroctl agents``: join keys, enrolled agents, recovery from a conflict_pill, candidates, the router key."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import anyio
import click

from servers.kernel.errors import StartupError, SuiteError
from servers.runtime.database import database_target, open_pool, prepare_database
from servers.runtime.logs import configure_logging
from servers.runtime.settings import SuiteSettings, load, load_settings
from xem import services
from xem.domain.joinkeys import ROLES
from xem.domain.templates import TemplateLibrary
from xem.keyfiles import load_or_create_keypair, router_keys_dir
from xem.settings import XemSettings

__all__ = ["agents"]

_T = TypeVar("_T")


def _run(action: Callable[[services.XemServices, SuiteSettings], Awaitable[_T]], *,
         templates: TemplateLibrary | None = None) -> _T:
    settings = load_settings()
    configure_logging("WARNING")

    async def main() -> _T:
        async with database_target(settings, "bus") as target:
            await prepare_database(target)
            pool = await open_pool(target, max_size=2)
            try:
                return await action(services.XemServices(pool, templates or TemplateLibrary()), settings)
            except SuiteError as exc:
                raise StartupError(exc.code, str(exc)) from None
            finally:
                await pool.close()

    return anyio.run(main)


@click.group()
def agents() -> None:
    """Enrolled execution agents: join keys, listing, recovery, discovered candidates."""


@agents.command("join-keys")
@click.option("--create", is_flag=True, help="mint a new join key (without it: list recent join keys)")
@click.option("--role", type=click.Choice(ROLES), default="xem", show_default=True, help="agent role the key enrolls")
@click.option("--ttl", type=click.IntRange(1), default=3600, show_default=True, help="seconds the key stays valid")
def join_keys(create: bool, role: str, ttl: int) -> int:
    """Mint a single-use join key (printed alone on stdout) for an agent's first boot, or list join keys."""
    xem_settings = load(XemSettings)
    if create:
        token, claims = _run(lambda xem, s: services.mint_join_key(xem, s.home, role, ttl, max_ttl_s=xem_settings.join_key_max_ttl_s))
        click.echo(token)
        click.echo(f"join key {claims.id} for role {role}, valid until {claims.expires_at.isoformat()}, usable once", err=True)
        return 0
    rows = _run(lambda xem, s: services.join_keys(xem))
    for r in rows:
        used = f"used by {r['consumed_by']} at {r['consumed_at']:%Y-%m-%d %H:%M:%S}" if r["consumed_at"] else "unused"
        click.echo(f"{r['id']}  {r['role']:<4} expires {r['expires_at']:%Y-%m-%d %H:%M:%S}  {used}")
    return 0


@agents.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per agent")
def list_agents(as_json: bool) -> int:
    """Enrolled agents: name, key fingerprint, state, last lease, manifest version, in-flight invocations."""
    rows = _run(lambda xem, s: services.list_agents(xem))
    if as_json:
        for r in rows:
            click.echo(json.dumps({"name": r.name, "role": r.role, "state": r.state, "fingerprints": list(r.fingerprints),
                                   "last_lease_at": r.last_lease_at.isoformat() if r.last_lease_at else None,
                                   "manifest_version": r.manifest_version, "in_flight": r.in_flight}))
        return 0
    if not rows:
        click.echo("no enrolled agents (mint a join key with `xeroctl agents join-keys --create`)")
        return 0
    click.echo(f"{'NAME':<24} {'KEY':<24} {'STATE':<14} {'LAST LEASE':<12} {'MANIFEST':>8} {'IN-FLIGHT':>9}")
    for r in rows:
        click.echo(f"{r.name:<24} {', '.join(r.fingerprints) or '-':<24} {r.state:<14} {_ago(r.last_lease_at):<12} "
                   f"{r.manifest_version if r.manifest_version is not None else '-':>8} {r.in_flight:>9}")
    return 0


def _ago(when: datetime | None) -> str:
    if when is None:
        return "never"
    return f"{(datetime.now(UTC) - when).total_seconds():.0f}s ago"


@agents.command()
@click.argument("name")
@click.option("--keep-key", metavar="KEY", help="the key to keep (Z85 public key or its sha256: fingerprint)")
@click.option("--revoke-all", is_flag=True, help="revoke every key of the agent (it must enroll again)")
def recover(name: str, keep_key: str | None, revoke_all: bool) -> int:
    """End a conflict_pill: keep one key and revoke the others, or revoke them all."""
    revoked = _run(lambda xem, s: services.recover(xem, name, keep_key=keep_key, revoke_all=revoke_all))
    kept = f"kept {keep_key}; " if keep_key else ""
    click.echo(f"{name}: {kept}revoked {', '.join(revoked) or 'no key'}")
    return 0


@agents.command("router-key")
def router_key() -> int:
    """Print the router's CURVE public key (what agents put in router_public_key)."""
    settings = load_settings()
    public, _ = load_or_create_keypair(router_keys_dir(settings.home), "router")
    click.echo(public.decode())
    return 0


@agents.group()
def candidates() -> None:
    """Workspace bindings found by the agents' config discovery, bound only once approved."""


@candidates.command("list")
@click.argument("name", required=False)
def list_candidates(name: str | None) -> int:
    """Discovered candidates of every agent, or of NAME."""
    rows = _run(lambda xem, s: services.list_candidates(xem, name))
    if not rows:
        click.echo("no candidates")
    for r in rows:
        click.echo(f"{r['agent_name']:<24} {r['candidate_id']:<32} {r['kind']:<4} {r['state']:<9} {r['value']}")
    return 0


@candidates.command("approve")
@click.argument("name")
@click.argument("candidate")
def approve(name: str, candidate: str) -> int:
    """Bind CANDIDATE on agent NAME; the agent picks it up at its next lease renewal."""
    _run(lambda xem, s: services.approve_candidate(xem, name, candidate))
    click.echo(f"{name}: approved {candidate}")
    return 0


