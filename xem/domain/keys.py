"""CURVE key pairs and their fingerprints, as values (reading and writing key files is ``xem.keyfiles``)."""

from __future__ import annotations

import hashlib

import nacl.public
import zmq.utils.z85

__all__ = ["fingerprint", "new_keypair"]


def new_keypair() -> tuple[bytes, bytes]:
    """A fresh (public, secret) CURVE pair, Z85-encoded."""
    private = nacl.public.PrivateKey.generate()
    return zmq.utils.z85.encode(bytes(private.public_key)), zmq.utils.z85.encode(bytes(private))


def fingerprint(public_key: str | bytes) -> str:
    """Short stable name of a public key for listings and logs (never the key's secret half)."""
    data = public_key.encode() if isinstance(public_key, str) else public_key
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]
