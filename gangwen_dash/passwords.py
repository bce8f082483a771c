"""Password hashing with argon2-cffi (a well-kept library; never hand-rolled)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id at the OWASP Password Storage Cheat Sheet's recommended configuration (19 MiB of memory,
# 2 iterations, 1 lane): about 25 ms of CPU per sign-in on the 2-core server, where argon2-cffi's default
# (64 MiB, 3 iterations, 4 lanes) cost about 180 ms. Hashes carry their own parameters, so older ones
# still verify; ``authenticate`` re-hashes them with these at the next successful sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """A hash made with other parameters than today's (re-hash it when the password is at hand)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
