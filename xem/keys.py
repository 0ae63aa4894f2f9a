"""CURVE key material on disk: created once, secret halves readable by the owner only (0600)."""

from __future__ import annotations

import os
from pathlib import Path

import zmq.auth

__all__ = ["load_or_create_keypair"]


def load_or_create_keypair(directory: Path, name: str) -> tuple[bytes, bytes]:
    """(public, secret) Z85 keys of ``name`` in ``directory``, generated on first use."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret_file = directory / f"{name}.key_secret"
    if not secret_file.exists():
        public_file, secret_file_made = zmq.auth.create_certificates(str(directory), name)
        os.chmod(secret_file_made, 0o600)
    public, secret = zmq.auth.load_certificate(str(secret_file))
    if secret is None:
        raise ValueError(f"{secret_file} holds no secret key")
    return public, secret
