"""Join keys: short-lived JWTs (HS256) signed with the router's secret, scoped to a role, usable once.

Minting and checking the signature, role and expiry are pure functions; consuming a key (once)
is the store's job, in the same transaction as the enrollment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from xem.errors import EnrollmentRefused

__all__ = ["ROLES", "JoinKeyClaims", "check_join_key", "mint_join_key"]

ROLES = ("xem", "xim")
_ISSUER = "xiopro-xem-router"
_AUDIENCE = "xem-enrollment"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class JoinKeyClaims:
    id: uuid.UUID
    role: str
    issued_at: datetime
    expires_at: datetime


def mint_join_key(secret: bytes, role: str, ttl_s: int, *, now: datetime | None = None) -> tuple[str, JoinKeyClaims]:
    """A signed join key and its claims (the caller records the id)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if ttl_s <= 0:
        raise ValueError("ttl must be positive")
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    claims = JoinKeyClaims(uuid.uuid4(), role, issued, issued + timedelta(seconds=ttl_s))
    token = jwt.encode(
        {"jti": str(claims.id), "role": role, "iat": issued, "exp": claims.expires_at, "iss": _ISSUER, "aud": _AUDIENCE},
        secret,
        algorithm=_ALGORITHM,
    )
    return token, claims


def check_join_key(secret: bytes, token: str, *, role: str, now: datetime | None = None) -> JoinKeyClaims:
    """The claims of a join key that is well signed, unexpired and for ``role`` (use is checked by the store).

    Raises:
        EnrollmentRefused: reason malformed, bad_signature, expired or wrong_role.
    """
    try:
        payload = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], audience=_AUDIENCE, issuer=_ISSUER,
            options={"require": ["jti", "exp", "iat", "role"], "verify_exp": False},
        )
    except jwt.InvalidSignatureError:
        raise EnrollmentRefused("bad_signature", "join key is not signed by this router; "
                                "mint one with `xeroctl agents join-keys --create`") from None
    except jwt.PyJWTError:
        raise EnrollmentRefused("malformed", "join key is not a valid join key; copy it again or mint a new one") from None
    try:
        claims = JoinKeyClaims(
            uuid.UUID(str(payload["jti"])), str(payload["role"]),
            datetime.fromtimestamp(int(payload["iat"]), UTC), datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
    except (ValueError, TypeError):
        raise EnrollmentRefused("malformed", "join key has malformed claims; mint a new one") from None
    if claims.expires_at <= (now or datetime.now(UTC)):
        raise EnrollmentRefused("expired", f"join key expired at {claims.expires_at.isoformat()}; mint a new one")
    if claims.role != role:
        raise EnrollmentRefused("wrong_role", f"join key is for role {claims.role}, not {role}; mint one with --role {role}")
    return claims
