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


def _publish(path: Path, text: str, *, replace: bool = False) -> None:
    """Give ``path`` the content ``text`` (mode 0600) all at once: a concurrent reader sees no file or the whole of it,
    never a part. Raises FileExistsError if ``path`` exists (unless ``replace``): another process published first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if path exists: the first complete file wins
    finally:
        temporary.unlink(missing_ok=True)


def load_or_create_keypair(directory: Path, name: str) -> tuple[bytes, bytes]:
    """(public, secret) Z85 keys of ``name`` in ``directory``, generated on first use; processes that create them at
    the same time all get the one pair that was written first.

    Raises:
        ValueError: the secret file exists but holds no secret key.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret_file = directory / f"{name}.key_secret"
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    if not secret_file.exists():
        public, secret = new_keypair()
        try:
            _publish(secret_file, _CERT.format(
                when=when, title="**Secret**", public=public.decode(), secret_line=f'    secret-key = "{secret.decode()}"\n',
                warning="DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."))
        except FileExistsError:
            pass  # created concurrently by another process: use theirs
    public, loaded = zmq.auth.load_certificate(str(secret_file))
    if loaded is None:
        raise ValueError(f"{secret_file} holds no secret key")
    public_file = directory / f"{name}.key"
    try:
        current = zmq.auth.load_certificate(str(public_file))[0] if public_file.exists() else None
    except ValueError:
        current = None  # not a certificate: written again below
    if current != public:  # missing, or left by a creator that lost the race: the public half of the pair that won
        _publish(public_file, _CERT.format(
            when=when, title="Public", public=public.decode(), secret_line="",
            warning="Exchange securely, or use a secure mechanism to verify the contents of this file after exchange."),
            replace=True)
    return public, loaded


def join_secret(home: Path) -> bytes:
    """The router's join-key signing secret (HS256), created on first use under $XIOPRO_HOME/xem/keys."""
    directory = router_keys_dir(home)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "join-keys.secret"
    if not path.exists():
        try:
            _publish(path, secrets.token_hex(32))
        except FileExistsError:
            pass  # created concurrently by another process: use theirs
    value = path.read_text().strip()
    if len(value) < 64:
        raise ValueError(f"{path} is not a join-key secret (64 hex characters); remove it to create a new one")
    return bytes.fromhex(value)
