"""Key material on disk: CURVE key pairs (PyNaCl, Z85, ZeroMQ certificate files) and the join-key
signing secret. Secret files are created with mode 0600 from the start, in a 0700 directory."""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

import zmq
import zmq.auth
import zmq.utils.z85

from xem.domain.keys import new_keypair

__all__ = ["join_secret", "load_or_create_keypair", "router_keys_dir"]

_CERT = """#   ****  Generated on {when} by xiopro  ****
#   ZeroMQ CURVE {title} Certificate
#   {warning}

metadata
curve
    public-key = "{public}"
{secret_line}"""


def router_keys_dir(home: Path) -> Path:
    return home / "xem" / "keys"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def load_or_create_keypair(directory: Path, name: str) -> tuple[bytes, bytes]:
    """(public, secret) Z85 keys of ``name`` in ``directory``, generated on first use.

    Raises:
        ValueError: the secret file exists but holds no secret key.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret_file = directory / f"{name}.key_secret"
    if not secret_file.exists():
        public, secret = new_keypair()
        when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        public_file = directory / f"{name}.key"
        public_file.unlink(missing_ok=True)
        public_file.write_text(_CERT.format(
            when=when, title="Public", public=public.decode(), secret_line="",
            warning="Exchange securely, or use a secure mechanism to verify the contents of this file after exchange."))
        try:
            _write_private(secret_file, _CERT.format(
                when=when, title="**Secret**", public=public.decode(), secret_line=f'    secret-key = "{secret.decode()}"\n',
                warning="DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."))
        except FileExistsError:
            pass  # created concurrently by another process: use theirs
    public, loaded = zmq.auth.load_certificate(str(secret_file))
    if loaded is None:
        raise ValueError(f"{secret_file} holds no secret key")
    return public, loaded


def join_secret(home: Path) -> bytes:
    """The router's join-key signing secret (HS256), created on first use under $XIOPRO_HOME/xem/keys."""
    directory = router_keys_dir(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "join-keys.secret"
    if not path.exists():
        try:
            _write_private(path, secrets.token_hex(32))
        except FileExistsError:
            pass
    value = path.read_text().strip()
    if len(value) < 64:
        raise ValueError(f"{path} is not a join-key secret (64 hex characters); remove it to create a new one")
    return bytes.fromhex(value)
