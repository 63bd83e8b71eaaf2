"""API keys: random, shown once, stored only as a SHA-256 digest."""

import hashlib
import secrets


def generate_key() -> str:
    return "spm_" + secrets.token_urlsafe(32)


def digest_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
