"""Portable SQL expressions whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class as_date(FunctionElement):
    """The calendar day of a timestamp, comparable with a DATE column on both engines."""

    type = Date()
    inherit_cache = True
    name = "as_date"


@compiles(as_date)
def _as_date_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element, compiler, **kw):
    # SQLite stores DATETIME as 'YYYY-MM-DD HH:MM:SS' text; date() gives 'YYYY-MM-DD', the DATE format.
    return f"date({compiler.process(element.clauses, **kw)})"
