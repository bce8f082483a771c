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


class no_index(FunctionElement):
    """The column unchanged, but SQLite will not use an index on it for this term (unary ``+``).

    SQLite's planner sometimes prefers a wide ``found_at`` range over a narrow index; this steers it.
    PostgreSQL plans from statistics and gets the bare column.
    """

    inherit_cache = True
    name = "no_index"

    @property
    def type(self):
        return self.clauses.clauses[0].type


@compiles(no_index)
def _no_index_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(no_index, "sqlite")
def _no_index_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"
