"""Daily rollups for the cockpit, kept exact by database triggers (SQLite and PostgreSQL).

Tables (one row per day and inspection group; counts may be zero):
- ``inspection_days``: inspections, 抽查暗访 and member participations by inspection day;
- ``finding_days``: findings by the day they were found, of which closed now, of which closed with the
  accepted reply on or before the original deadline (on time) now;
- ``open_due_days``: currently open findings by deadline (``due_date``).

Every INSERT, UPDATE and DELETE of inspections, inspection_members and findings adjusts the rows it
affects, whoever writes (services, imports, the demo, SQL by hand), so the rollups never depend on
writers remembering to refresh them. ``rebuild()`` recomputes everything from the base tables (after a
bulk load with the triggers dropped, or to repair). The query layer (``gangwen_dash.queries.rollup``)
combines these "now" figures with small live corrections to answer "as of a period's end" exactly.
"""

from __future__ import annotations

SPOT = "抽查暗访"

SQLITE_UPSERT = {
    "inspection_days": ("(day, group_id, inspections, spot_checks, participations)",
                        "inspections = inspections + excluded.inspections, spot_checks = spot_checks + "
                        "excluded.spot_checks, participations = participations + excluded.participations"),
    "finding_days": ("(day, group_id, findings, closed, on_time)",
                     "findings = findings + excluded.findings, closed = closed + excluded.closed, "
                     "on_time = on_time + excluded.on_time"),
    "open_due_days": ("(day, group_id, n_open)", "n_open = n_open + excluded.n_open"),
}


def _sqlite_add(table: str, select: str) -> str:
    cols, update = SQLITE_UPSERT[table]
    # INSERT … SELECT … WHERE … ON CONFLICT: the WHERE clause keeps SQLite's upsert parser unambiguous.
    return f"INSERT INTO {table} {cols} {select} ON CONFLICT (day, group_id) DO UPDATE SET {update};"


def _sqlite_finding_rows(ref: str, sign: str) -> list[str]:
    on_time = (f"CASE WHEN {ref}.closed_at IS NOT NULL AND date({ref}.replied_at) <= {ref}.first_due_date "
               "THEN 1 ELSE 0 END")
    closed = f"CASE WHEN {ref}.closed_at IS NOT NULL THEN 1 ELSE 0 END"
    return [
        _sqlite_add("finding_days", f"SELECT date({ref}.found_at), {ref}.group_id, {sign}1, {sign}{closed}, "
                                    f"{sign}{on_time} WHERE 1"),
        _sqlite_add("open_due_days", f"SELECT {ref}.due_date, {ref}.group_id, {sign}1 WHERE {ref}.closed_at IS NULL"),
    ]


def sqlite_statements() -> list[str]:
    spot_new = f"CASE WHEN NEW.kind = '{SPOT}' THEN 1 ELSE 0 END"
    spot_old = f"CASE WHEN OLD.kind = '{SPOT}' THEN 1 ELSE 0 END"
    members_of = "(SELECT count(*) FROM inspection_members WHERE inspection_id = {}.id)"
    parent = ("SELECT date(i.inspected_at), i.group_id, 0, 0, {sign}1 FROM inspections i "
              "WHERE i.id = {ref}.inspection_id")
    finding_cols = "found_at, group_id, closed_at, replied_at, first_due_date, due_date"
    return [
        "CREATE TRIGGER rollup_inspections_insert AFTER INSERT ON inspections BEGIN "
        + _sqlite_add("inspection_days", f"SELECT date(NEW.inspected_at), NEW.group_id, 1, {spot_new}, 0 WHERE 1")
        + " END",
        "CREATE TRIGGER rollup_inspections_update AFTER UPDATE OF inspected_at, group_id, kind ON inspections "
        "WHEN date(OLD.inspected_at) IS NOT date(NEW.inspected_at) OR OLD.group_id IS NOT NEW.group_id "
        "OR OLD.kind IS NOT NEW.kind BEGIN "
        + _sqlite_add("inspection_days", f"SELECT date(OLD.inspected_at), OLD.group_id, -1, -{spot_old}, "
                                         f"-{members_of.format('OLD')} WHERE 1")
        + _sqlite_add("inspection_days", f"SELECT date(NEW.inspected_at), NEW.group_id, 1, {spot_new}, "
                                         f"{members_of.format('NEW')} WHERE 1")
        + " END",
        # Members go first (their trigger still finds the inspection), then the inspection itself.
        "CREATE TRIGGER rollup_inspections_delete BEFORE DELETE ON inspections BEGIN "
        "DELETE FROM inspection_members WHERE inspection_id = OLD.id; "
        + _sqlite_add("inspection_days", f"SELECT date(OLD.inspected_at), OLD.group_id, -1, -{spot_old}, 0 WHERE 1")
        + " END",
        "CREATE TRIGGER rollup_members_insert AFTER INSERT ON inspection_members BEGIN "
        + _sqlite_add("inspection_days", parent.format(sign="", ref="NEW")) + " END",
        "CREATE TRIGGER rollup_members_delete AFTER DELETE ON inspection_members BEGIN "
        + _sqlite_add("inspection_days", parent.format(sign="-", ref="OLD")) + " END",
        "CREATE TRIGGER rollup_members_update AFTER UPDATE OF inspection_id ON inspection_members BEGIN "
        + _sqlite_add("inspection_days", parent.format(sign="-", ref="OLD"))
        + _sqlite_add("inspection_days", parent.format(sign="", ref="NEW")) + " END",
        "CREATE TRIGGER rollup_findings_insert AFTER INSERT ON findings BEGIN "
        + " ".join(_sqlite_finding_rows("NEW", "")) + " END",
        "CREATE TRIGGER rollup_findings_delete AFTER DELETE ON findings BEGIN "
        + " ".join(_sqlite_finding_rows("OLD", "-")) + " END",
        f"CREATE TRIGGER rollup_findings_update AFTER UPDATE OF {finding_cols} ON findings BEGIN "
        + " ".join(_sqlite_finding_rows("OLD", "-") + _sqlite_finding_rows("NEW", "")) + " END",
    ]


SQLITE_TRIGGERS = ("rollup_inspections_insert", "rollup_inspections_update", "rollup_inspections_delete",
                   "rollup_members_insert", "rollup_members_delete", "rollup_members_update",
                   "rollup_findings_insert", "rollup_findings_delete", "rollup_findings_update")


PG_STATEMENTS = [
    """CREATE FUNCTION rollup_add_inspection_day(d date, g integer, n integer, s integer, p integer)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO inspection_days (day, group_id, inspections, spot_checks, participations) VALUES (d, g, n, s, p)
      ON CONFLICT (day, group_id) DO UPDATE SET inspections = inspection_days.inspections + EXCLUDED.inspections,
        spot_checks = inspection_days.spot_checks + EXCLUDED.spot_checks,
        participations = inspection_days.participations + EXCLUDED.participations
    $$""",
    """CREATE FUNCTION rollup_add_finding(f findings, sign integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO finding_days (day, group_id, findings, closed, on_time)
      VALUES (f.found_at::date, f.group_id, sign, sign * (f.closed_at IS NOT NULL)::int,
              sign * COALESCE(f.closed_at IS NOT NULL AND f.replied_at::date <= f.first_due_date, false)::int)
      ON CONFLICT (day, group_id) DO UPDATE SET findings = finding_days.findings + EXCLUDED.findings,
        closed = finding_days.closed + EXCLUDED.closed, on_time = finding_days.on_time + EXCLUDED.on_time;
      IF f.closed_at IS NULL THEN
        INSERT INTO open_due_days (day, group_id, n_open) VALUES (f.due_date, f.group_id, sign)
        ON CONFLICT (day, group_id) DO UPDATE SET n_open = open_due_days.n_open + EXCLUDED.n_open;
      END IF;
    END $$""",
    f"""CREATE FUNCTION rollup_inspections_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE members integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM rollup_add_inspection_day(NEW.inspected_at::date, NEW.group_id, 1, (NEW.kind = '{SPOT}')::int, 0);
        RETURN NULL;
      ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.inspected_at::date, OLD.group_id, OLD.kind) IS DISTINCT FROM
           (NEW.inspected_at::date, NEW.group_id, NEW.kind) THEN
          SELECT count(*) INTO members FROM inspection_members WHERE inspection_id = NEW.id;
          PERFORM rollup_add_inspection_day(OLD.inspected_at::date, OLD.group_id, -1,
                                            -(OLD.kind = '{SPOT}')::int, -members);
          PERFORM rollup_add_inspection_day(NEW.inspected_at::date, NEW.group_id, 1,
                                            (NEW.kind = '{SPOT}')::int, members);
        END IF;
        RETURN NULL;
      END IF;
      -- BEFORE DELETE: members first (their trigger still finds the inspection), then the inspection.
      DELETE FROM inspection_members WHERE inspection_id = OLD.id;
      PERFORM rollup_add_inspection_day(OLD.inspected_at::date, OLD.group_id, -1, -(OLD.kind = '{SPOT}')::int, 0);
      RETURN OLD;
    END $$""",
    """CREATE FUNCTION rollup_members_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rollup_add_inspection_day(i.inspected_at::date, i.group_id, 0, 0, -1)
          FROM inspections i WHERE i.id = OLD.inspection_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rollup_add_inspection_day(i.inspected_at::date, i.group_id, 0, 0, 1)
          FROM inspections i WHERE i.id = NEW.inspection_id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION rollup_findings_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND (OLD.found_at, OLD.group_id, OLD.closed_at, OLD.replied_at, OLD.first_due_date,
                               OLD.due_date) IS NOT DISTINCT FROM
                              (NEW.found_at, NEW.group_id, NEW.closed_at, NEW.replied_at, NEW.first_due_date,
                               NEW.due_date) THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM rollup_add_finding(OLD, -1); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM rollup_add_finding(NEW, 1); END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER rollup_inspections_write AFTER INSERT OR UPDATE ON inspections "
    "FOR EACH ROW EXECUTE FUNCTION rollup_inspections_trg()",
    "CREATE TRIGGER rollup_inspections_delete BEFORE DELETE ON inspections "
    "FOR EACH ROW EXECUTE FUNCTION rollup_inspections_trg()",
    "CREATE TRIGGER rollup_members AFTER INSERT OR UPDATE OR DELETE ON inspection_members "
    "FOR EACH ROW EXECUTE FUNCTION rollup_members_trg()",
    "CREATE TRIGGER rollup_findings AFTER INSERT OR UPDATE OR DELETE ON findings "
    "FOR EACH ROW EXECUTE FUNCTION rollup_findings_trg()",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS rollup_findings ON findings",
    "DROP TRIGGER IF EXISTS rollup_members ON inspection_members",
    "DROP TRIGGER IF EXISTS rollup_inspections_delete ON inspections",
    "DROP TRIGGER IF EXISTS rollup_inspections_write ON inspections",
    "DROP FUNCTION IF EXISTS rollup_findings_trg()",
    "DROP FUNCTION IF EXISTS rollup_members_trg()",
    "DROP FUNCTION IF EXISTS rollup_inspections_trg()",
    "DROP FUNCTION IF EXISTS rollup_add_finding(findings, integer)",
    "DROP FUNCTION IF EXISTS rollup_add_inspection_day(date, integer, integer, integer, integer)",
]


def _day(column: str, dialect: str) -> str:
    return f"date({column})" if dialect == "sqlite" else f"CAST({column} AS DATE)"


def rebuild_statements(dialect: str) -> list[str]:
    """Recompute the three rollups from the base tables."""
    spot = f"CASE WHEN kind = '{SPOT}' THEN 1 ELSE 0 END"
    on_time = f"CASE WHEN closed_at IS NOT NULL AND {_day('replied_at', dialect)} <= first_due_date THEN 1 ELSE 0 END"
    return [
        "DELETE FROM inspection_days",
        "DELETE FROM finding_days",
        "DELETE FROM open_due_days",
        "INSERT INTO inspection_days (day, group_id, inspections, spot_checks, participations) "
        "SELECT day, group_id, sum(n), sum(s), sum(p) FROM ("
        f" SELECT {_day('inspected_at', dialect)} AS day, group_id, count(*) AS n, sum({spot}) AS s, 0 AS p"
        " FROM inspections GROUP BY 1, 2"
        " UNION ALL"
        f" SELECT {_day('i.inspected_at', dialect)}, i.group_id, 0, 0, count(*)"
        " FROM inspection_members m JOIN inspections i ON i.id = m.inspection_id GROUP BY 1, 2"
        ") AS parts GROUP BY day, group_id",
        "INSERT INTO finding_days (day, group_id, findings, closed, on_time) "
        f"SELECT {_day('found_at', dialect)}, group_id, count(*), count(closed_at), sum({on_time}) "
        "FROM findings GROUP BY 1, 2",
        "INSERT INTO open_due_days (day, group_id, n_open) "
        "SELECT due_date, group_id, count(*) FROM findings WHERE closed_at IS NULL GROUP BY 1, 2",
    ]


def create(bind) -> None:
    """Create the triggers on ``bind`` (an Alembic ``op.get_bind()`` or any SQLAlchemy connection)."""
    for stmt in sqlite_statements() if bind.dialect.name == "sqlite" else PG_STATEMENTS:
        bind.exec_driver_sql(stmt)


def drop(bind) -> None:
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for stmt in PG_DROP:
            bind.exec_driver_sql(stmt)


def rebuild(bind) -> None:
    for stmt in rebuild_statements(bind.dialect.name):
        bind.exec_driver_sql(stmt)
