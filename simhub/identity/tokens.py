"""Token format and hashing.

A token reads ``shb_<token id>_<secret>``: 32 random bytes of secret (urlsafe base64), enough
entropy that a plain SHA-256 is the right hash (a slow password hash buys nothing against a
256-bit secret and would cost every request milliseconds). The id lets a revocation name the
token without knowing the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "shb"


def new_id(kind: str) -> str:
    """A short random id such as ``org_3kq9v0x2``; *kind* says what it names."""
    return f"{kind}_{secrets.token_hex(6)}"


def new_token(token_id: str) -> str:
    return f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def token_id_of(token: str) -> str | None:
    """The id part of a well-formed token, or None for anything else."""
    parts = token.split("_", 3)
    # shb _ tok _ <hex> _ <secret>: the id itself is "tok_<hex>"
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != "tok" or not parts[3]:
        return None
    return f"{parts[1]}_{parts[2]}"


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
