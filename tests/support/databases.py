"""Test databases: a fast password hash for seeded accounts, and a fresh copy of a migrated template."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

_counter = itertools.count()


def fast_hash(password: str) -> str:
    from argon2 import PasswordHasher

    # Low-cost parameters for test speed only; production uses argon2-cffi's defaults.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)


def clone(backend: str, template: str, tmp_path: Path, request) -> str:
    if backend == "sqlite":
        target = tmp_path / f"test-{next(_counter)}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    cluster = request.getfixturevalue("pg_cluster")
    name = f"t{os.getpid()}_{next(_counter)}"
    return cluster.create_database(name, template=template.rsplit("/", 1)[1])
