"""Join keys: signed, scoped to a role, expiring; key files are private."""

from __future__ import annotations

import multiprocessing
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zmq
import zmq.auth

from xem.domain.joinkeys import check_join_key, mint_join_key
from xem.errors import EnrollmentRefused
from xem.keyfiles import join_secret, load_or_create_keypair, router_keys_dir


def test_join_key_minted_for_a_role_is_accepted_for_that_role(tmp_path):
    secret = join_secret(tmp_path)
    token, claims = mint_join_key(secret, "xem", 60)
    assert check_join_key(secret, token, role="xem") == claims


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda secret, now: (secret, mint_join_key(secret, "xim", 60)[0], now), "wrong_role"),
        (lambda secret, now: (secret, mint_join_key(secret, "xem", 10, now=now - timedelta(seconds=11))[0], now), "expired"),
        (lambda secret, now: (b"y" * 32, mint_join_key(secret, "xem", 60)[0], now), "bad_signature"),
        (lambda secret, now: (secret, "not-a-jwt", now), "malformed"),
    ],
    ids=["wrong_role", "expired", "bad_signature", "malformed"],
)
def test_bad_join_keys_are_refused_with_a_reason(tmp_path, mutate, reason):
    secret, token, now = mutate(join_secret(tmp_path), datetime.now(UTC))
    with pytest.raises(EnrollmentRefused) as caught:
        check_join_key(secret, token, role="xem", now=now)
    assert caught.value.reason == reason
    assert caught.value.code == "unauthorized"


def test_key_files_are_created_once_with_mode_0600(tmp_path):
    public, secret = load_or_create_keypair(tmp_path / "keys", "agent")
    assert zmq.curve_public(secret) == public
    assert load_or_create_keypair(tmp_path / "keys", "agent") == (public, secret)
    join_secret(tmp_path)
    for path in (tmp_path / "keys" / "agent.key_secret", tmp_path / "xem" / "keys" / "join-keys.secret"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_processes_creating_the_same_keys_at_once_all_read_the_one_complete_key_that_won(tmp_path):
    # xeroctl up starts the router while `xeroctl agents router-key` runs: both may create the files at once
    context = multiprocessing.get_context("fork")
    for attempt in range(20):
        home = tmp_path / f"home{attempt}"
        with context.Pool(4) as pool:
            keys = pool.map(_router_keys, [home] * 8)
        assert len(set(keys)) == 1, keys  # every process read the same complete key pair and join secret
        public_file = router_keys_dir(home) / "router.key"
        assert zmq.auth.load_certificate(str(public_file))[0] == keys[0][0]  # the public file matches the secret
        assert not [p.name for p in router_keys_dir(home).iterdir() if p.name.startswith(".")]  # no temporary left


def _router_keys(home: Path) -> tuple[bytes, bytes, bytes]:
    return (*load_or_create_keypair(router_keys_dir(home), "router"), join_secret(home))
