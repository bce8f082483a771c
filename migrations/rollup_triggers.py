"""Daily rollups for the cockpit, kept exact by database triggers (SQLite and PostgreSQL).

Tables (one row per day, inspection group and street of the site, findings also per category; counts
may be zero), so that any period with any group/street filter sums at most days × a few rows:
- ``inspection_days``: inspections, 抽查暗访 and member participations by inspection day;
- ``finding_days``: findings by the day they were found, of which closed now, of which closed with the
  accepted reply on or before the original deadline (on time) now;
- ``finding_months``: the same per month (``day`` is the month's first day), for long periods;
- ``finding_day_totals``: findings by the day found, without the category (the cockpit's trend reads a
  year of days from it: an eighth of ``finding_days``' rows);
- ``open_due_days``: currently open findings by deadline (``due_date``).

Every INSERT, UPDATE and DELETE of inspections, inspection_members and findings adjusts the rows it
affects, and a site moved to another street carries its counts along (trigger on ``sites.street_id``), whoever writes (services, imports, the demo, SQL by hand), so the rollups never depend on
writers remembering to refresh them. ``rebuild()`` recomputes everything from the base tables (after a
bulk load with the triggers dropped, or to repair). The query layer (``gangwen_dash.queries.rollup``)
combines these "now" figures with small live corrections to answer "as of a period's end" exactly.

Length: the trigger SQL for two engines, written out so it can be read against the queries that trust it.
"""

from __future__ import annotations

SPOT = "抽查暗访"

# Key columns of each rollup (a day, then the dimensions a cockpit view filters or groups by).
KEYS = {
    "inspection_days": ("day", "group_id", "street_id"),
    "finding_days": ("day", "group_id", "street_id", "category"),
    "finding_months": ("day", "group_id", "street_id", "category"),  # day: the 1st of the month found
    "finding_day_totals": ("day", "group_id", "street_id"),
    "open_due_days": ("day", "group_id", "street_id"),
}
COUNTS = {
    "inspection_days": ("inspections", "spot_checks", "participations"),
    "finding_days": ("findings", "closed", "on_time"),
    "finding_months": ("findings", "closed", "on_time"),
    "finding_day_totals": ("findings",),
    "open_due_days": ("n_open",),
}


def _street(ref: str) -> str:
    return f"(SELECT street_id FROM sites WHERE id = {ref}.site_id)"


def _sqlite_add(table: str, select: str) -> str:
    cols = ", ".join(KEYS[table] + COUNTS[table])
    update = ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTS[table])
    # INSERT … SELECT … WHERE … ON CONFLICT: the WHERE clause keeps SQLite's upsert parser unambiguous.
    return (f"INSERT INTO {table} ({cols}) {select} ON CONFLICT ({', '.join(KEYS[table])}) "
            f"DO UPDATE SET {update};")


def _sqlite_finding_rows(ref: str, sign: str, street: str | None = None) -> list[str]:
    on_time = (f"CASE WHEN {ref}.closed_at IS NOT NULL AND date({ref}.replied_at) <= {ref}.first_due_date "
               "THEN 1 ELSE 0 END")
    closed = f"CASE WHEN {ref}.closed_at IS NOT NULL THEN 1 ELSE 0 END"
    street = street or _street(ref)
    return [
        *(_sqlite_add(table, f"SELECT date({ref}.found_at{month}), {ref}.group_id, {street}, {ref}.category, "
                             f"{sign}1, {sign}{closed}, {sign}{on_time} WHERE 1")
          for table, month in (("finding_days", ""), ("finding_months", ", 'start of month'"))),
        _sqlite_add("finding_day_totals", f"SELECT date({ref}.found_at), {ref}.group_id, {street}, {sign}1 WHERE 1"),
        _sqlite_add("open_due_days", f"SELECT {ref}.due_date, {ref}.group_id, {street}, {sign}1 "
                                     f"WHERE {ref}.closed_at IS NULL"),
    ]


def _site_moves(street: str, sign: str, dialect: str) -> list[str]:
    """Statements that add (sign '') or remove (sign '-') every count of site ``NEW.id`` under ``street``
    (a site moved to another street: its inspections and findings move with it)."""
    day = "date({})" if dialect == "sqlite" else "CAST({} AS DATE)"
    month = "date({}, 'start of month')" if dialect == "sqlite" else "CAST(date_trunc('month', {}) AS DATE)"
    on_time = f"CASE WHEN closed_at IS NOT NULL AND {day.format('replied_at')} <= first_due_date THEN 1 ELSE 0 END"
    selects = {
        "inspection_days": [
            f"SELECT {day.format('inspected_at')}, group_id, {street}, {sign}count(*), "
            f"{sign}sum(CASE WHEN kind = '{SPOT}' THEN 1 ELSE 0 END), 0 FROM inspections "
            "WHERE site_id = NEW.id GROUP BY 1, 2",
            f"SELECT {day.format('i.inspected_at')}, i.group_id, {street}, 0, 0, {sign}count(*) "
            "FROM inspection_members m JOIN inspections i ON i.id = m.inspection_id WHERE i.site_id = NEW.id "
            "GROUP BY 1, 2",
        ],
        **{table: [
            f"SELECT {when.format('found_at')}, group_id, {street}, category, {sign}count(*), {sign}count(closed_at), "
            f"{sign}sum({on_time}) FROM findings WHERE site_id = NEW.id GROUP BY 1, 2, 4",
        ] for table, when in (("finding_days", day), ("finding_months", month))},
        "finding_day_totals": [
            f"SELECT {day.format('found_at')}, group_id, {street}, {sign}count(*) FROM findings "
            "WHERE site_id = NEW.id GROUP BY 1, 2",
        ],
        "open_due_days": [
            f"SELECT due_date, group_id, {street}, {sign}count(*) FROM findings "
            "WHERE site_id = NEW.id AND closed_at IS NULL GROUP BY 1, 2",
        ],
    }
    out = []
    for table, stmts in selects.items():
        for select in stmts:
            if dialect == "sqlite":
                out.append(_sqlite_add(table, select))
            else:
                cols = ", ".join(KEYS[table] + COUNTS[table])
                update = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in COUNTS[table])
                out.append(f"INSERT INTO {table} ({cols}) {select} ON CONFLICT ({', '.join(KEYS[table])}) "
                           f"DO UPDATE SET {update};")
    return out


def sqlite_statements() -> list[str]:
    spot_new = f"CASE WHEN NEW.kind = '{SPOT}' THEN 1 ELSE 0 END"
    spot_old = f"CASE WHEN OLD.kind = '{SPOT}' THEN 1 ELSE 0 END"
    members_of = "(SELECT count(*) FROM inspection_members WHERE inspection_id = {}.id)"
    parent = ("SELECT date(i.inspected_at), i.group_id, s.street_id, 0, 0, {sign}1 FROM inspections i "
              "JOIN sites s ON s.id = i.site_id WHERE i.id = {ref}.inspection_id")
    finding_cols = "found_at, group_id, site_id, category, closed_at, replied_at, first_due_date, due_date"
    return [
        "CREATE TRIGGER rollup_inspections_insert AFTER INSERT ON inspections BEGIN "
        + _sqlite_add("inspection_days", f"SELECT date(NEW.inspected_at), NEW.group_id, {_street('NEW')}, 1, "
                                         f"{spot_new}, 0 WHERE 1")
        + " END",
        "CREATE TRIGGER rollup_inspections_update AFTER UPDATE OF inspected_at, group_id, kind, site_id "
        "ON inspections WHEN date(OLD.inspected_at) IS NOT date(NEW.inspected_at) OR OLD.group_id IS NOT "
        "NEW.group_id OR OLD.kind IS NOT NEW.kind OR OLD.site_id IS NOT NEW.site_id BEGIN "
        + _sqlite_add("inspection_days", f"SELECT date(OLD.inspected_at), OLD.group_id, {_street('OLD')}, -1, "
                                         f"-{spot_old}, -{members_of.format('OLD')} WHERE 1")
        + _sqlite_add("inspection_days", f"SELECT date(NEW.inspected_at), NEW.group_id, {_street('NEW')}, 1, "
                                         f"{spot_new}, {members_of.format('NEW')} WHERE 1")
        + " END",
        # Members go first (their trigger still finds the inspection), then the inspection itself.
        "CREATE TRIGGER rollup_inspections_delete BEFORE DELETE ON inspections BEGIN "
        "DELETE FROM inspection_members WHERE inspection_id = OLD.id; "
        + _sqlite_add("inspection_days", f"SELECT date(OLD.inspected_at), OLD.group_id, {_street('OLD')}, -1, "
                                         f"-{spot_old}, 0 WHERE 1")
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
        "CREATE TRIGGER rollup_sites_street AFTER UPDATE OF street_id ON sites "
        "WHEN OLD.street_id IS NOT NEW.street_id BEGIN "
        + " ".join(_site_moves("OLD.street_id", "-", "sqlite") + _site_moves("NEW.street_id", "", "sqlite"))
        + " END",
    ]


SQLITE_TRIGGERS = ("rollup_inspections_insert", "rollup_inspections_update", "rollup_inspections_delete",
                   "rollup_members_insert", "rollup_members_delete", "rollup_members_update",
                   "rollup_findings_insert", "rollup_findings_delete", "rollup_findings_update",
                   "rollup_sites_street")


PG_STATEMENTS = [
    """CREATE FUNCTION rollup_add_inspection_day(d date, g integer, st integer, n integer, s integer, p integer)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO inspection_days (day, group_id, street_id, inspections, spot_checks, participations)
      VALUES (d, g, st, n, s, p)
      ON CONFLICT (day, group_id, street_id) DO UPDATE SET
        inspections = inspection_days.inspections + EXCLUDED.inspections,
        spot_checks = inspection_days.spot_checks + EXCLUDED.spot_checks,
        participations = inspection_days.participations + EXCLUDED.participations
    $$""",
    """CREATE FUNCTION rollup_add_finding(f findings, sign integer) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE st integer;
    BEGIN
      SELECT street_id INTO st FROM sites WHERE id = f.site_id;
      INSERT INTO finding_days (day, group_id, street_id, category, findings, closed, on_time)
      VALUES (f.found_at::date, f.group_id, st, f.category, sign, sign * (f.closed_at IS NOT NULL)::int,
              sign * COALESCE(f.closed_at IS NOT NULL AND f.replied_at::date <= f.first_due_date, false)::int)
      ON CONFLICT (day, group_id, street_id, category) DO UPDATE SET
        findings = finding_days.findings + EXCLUDED.findings,
        closed = finding_days.closed + EXCLUDED.closed, on_time = finding_days.on_time + EXCLUDED.on_time;
      INSERT INTO finding_months (day, group_id, street_id, category, findings, closed, on_time)
      VALUES (CAST(date_trunc('month', f.found_at) AS DATE), f.group_id, st, f.category, sign,
              sign * (f.closed_at IS NOT NULL)::int,
              sign * COALESCE(f.closed_at IS NOT NULL AND f.replied_at::date <= f.first_due_date, false)::int)
      ON CONFLICT (day, group_id, street_id, category) DO UPDATE SET
        findings = finding_months.findings + EXCLUDED.findings,
        closed = finding_months.closed + EXCLUDED.closed, on_time = finding_months.on_time + EXCLUDED.on_time;
      INSERT INTO finding_day_totals (day, group_id, street_id, findings) VALUES (f.found_at::date, f.group_id, st, sign)
      ON CONFLICT (day, group_id, street_id) DO UPDATE SET findings = finding_day_totals.findings + EXCLUDED.findings;
      IF f.closed_at IS NULL THEN
        INSERT INTO open_due_days (day, group_id, street_id, n_open) VALUES (f.due_date, f.group_id, st, sign)
        ON CONFLICT (day, group_id, street_id) DO UPDATE SET n_open = open_due_days.n_open + EXCLUDED.n_open;
      END IF;
    END $$""",
    f"""CREATE FUNCTION rollup_inspections_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE members integer; st_old integer; st_new integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        SELECT street_id INTO st_new FROM sites WHERE id = NEW.site_id;
        PERFORM rollup_add_inspection_day(NEW.inspected_at::date, NEW.group_id, st_new, 1,
                                          (NEW.kind = '{SPOT}')::int, 0);
        RETURN NULL;
      ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.inspected_at::date, OLD.group_id, OLD.kind, OLD.site_id) IS DISTINCT FROM
           (NEW.inspected_at::date, NEW.group_id, NEW.kind, NEW.site_id) THEN
          SELECT count(*) INTO members FROM inspection_members WHERE inspection_id = NEW.id;
          SELECT street_id INTO st_old FROM sites WHERE id = OLD.site_id;
          SELECT street_id INTO st_new FROM sites WHERE id = NEW.site_id;
          PERFORM rollup_add_inspection_day(OLD.inspected_at::date, OLD.group_id, st_old, -1,
                                            -(OLD.kind = '{SPOT}')::int, -members);
          PERFORM rollup_add_inspection_day(NEW.inspected_at::date, NEW.group_id, st_new, 1,
                                            (NEW.kind = '{SPOT}')::int, members);
        END IF;
        RETURN NULL;
      END IF;
      -- BEFORE DELETE: members first (their trigger still finds the inspection), then the inspection.
      DELETE FROM inspection_members WHERE inspection_id = OLD.id;
      SELECT street_id INTO st_old FROM sites WHERE id = OLD.site_id;
      PERFORM rollup_add_inspection_day(OLD.inspected_at::date, OLD.group_id, st_old, -1,
                                        -(OLD.kind = '{SPOT}')::int, 0);
      RETURN OLD;
    END $$""",
    """CREATE FUNCTION rollup_members_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rollup_add_inspection_day(i.inspected_at::date, i.group_id, s.street_id, 0, 0, -1)
          FROM inspections i JOIN sites s ON s.id = i.site_id WHERE i.id = OLD.inspection_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rollup_add_inspection_day(i.inspected_at::date, i.group_id, s.street_id, 0, 0, 1)
          FROM inspections i JOIN sites s ON s.id = i.site_id WHERE i.id = NEW.inspection_id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION rollup_findings_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND (OLD.found_at, OLD.group_id, OLD.site_id, OLD.category, OLD.closed_at, OLD.replied_at,
                               OLD.first_due_date, OLD.due_date) IS NOT DISTINCT FROM
                              (NEW.found_at, NEW.group_id, NEW.site_id, NEW.category, NEW.closed_at, NEW.replied_at,
                               NEW.first_due_date, NEW.due_date) THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM rollup_add_finding(OLD, -1); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM rollup_add_finding(NEW, 1); END IF;
      RETURN NULL;
    END $$""",
    "CREATE FUNCTION rollup_sites_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + " ".join(_site_moves("OLD.street_id", "-", "postgresql") + _site_moves("NEW.street_id", "", "postgresql"))
    + " RETURN NULL; END $$",
    "CREATE TRIGGER rollup_inspections_write AFTER INSERT OR UPDATE ON inspections "
    "FOR EACH ROW EXECUTE FUNCTION rollup_inspections_trg()",
    "CREATE TRIGGER rollup_inspections_delete BEFORE DELETE ON inspections "
    "FOR EACH ROW EXECUTE FUNCTION rollup_inspections_trg()",
    "CREATE TRIGGER rollup_members AFTER INSERT OR UPDATE OR DELETE ON inspection_members "
    "FOR EACH ROW EXECUTE FUNCTION rollup_members_trg()",
    "CREATE TRIGGER rollup_findings AFTER INSERT OR UPDATE OR DELETE ON findings "
    "FOR EACH ROW EXECUTE FUNCTION rollup_findings_trg()",
    "CREATE TRIGGER rollup_sites_street AFTER UPDATE OF street_id ON sites "
    "FOR EACH ROW WHEN (OLD.street_id IS DISTINCT FROM NEW.street_id) EXECUTE FUNCTION rollup_sites_trg()",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS rollup_sites_street ON sites",
    "DROP TRIGGER IF EXISTS rollup_findings ON findings",
    "DROP TRIGGER IF EXISTS rollup_members ON inspection_members",
    "DROP TRIGGER IF EXISTS rollup_inspections_delete ON inspections",
    "DROP TRIGGER IF EXISTS rollup_inspections_write ON inspections",
    "DROP FUNCTION IF EXISTS rollup_sites_trg()",
    "DROP FUNCTION IF EXISTS rollup_findings_trg()",
    "DROP FUNCTION IF EXISTS rollup_members_trg()",
    "DROP FUNCTION IF EXISTS rollup_inspections_trg()",
    "DROP FUNCTION IF EXISTS rollup_add_finding(findings, integer)",
    "DROP FUNCTION IF EXISTS rollup_add_inspection_day(date, integer, integer, integer, integer, integer)",
    # the migration 0002 signature (before streets joined the key)
    "DROP FUNCTION IF EXISTS rollup_add_inspection_day(date, integer, integer, integer, integer)",
]


def _day(column: str, dialect: str) -> str:
    return f"date({column})" if dialect == "sqlite" else f"CAST({column} AS DATE)"


def _month(column: str, dialect: str) -> str:
    return f"date({column}, 'start of month')" if dialect == "sqlite" else f"CAST(date_trunc('month', {column}) AS DATE)"


def rebuild_statements(dialect: str) -> list[str]:
    """Recompute the rollups from the base tables."""
    spot = f"CASE WHEN kind = '{SPOT}' THEN 1 ELSE 0 END"
    on_time = (f"CASE WHEN f.closed_at IS NOT NULL AND {_day('f.replied_at', dialect)} <= f.first_due_date "
               "THEN 1 ELSE 0 END")
    return [
        "DELETE FROM inspection_days",
        "DELETE FROM finding_days",
        "DELETE FROM finding_months",
        "DELETE FROM finding_day_totals",
        "DELETE FROM open_due_days",
        "INSERT INTO inspection_days (day, group_id, street_id, inspections, spot_checks, participations) "
        "SELECT parts.day, parts.group_id, s.street_id, sum(n), sum(sp), sum(p) FROM ("
        f" SELECT {_day('inspected_at', dialect)} AS day, group_id, site_id, count(*) AS n, sum({spot}) AS sp,"
        " 0 AS p FROM inspections GROUP BY 1, 2, 3"
        " UNION ALL"
        f" SELECT {_day('i.inspected_at', dialect)}, i.group_id, i.site_id, 0, 0, count(*)"
        " FROM inspection_members m JOIN inspections i ON i.id = m.inspection_id GROUP BY 1, 2, 3"
        ") AS parts JOIN sites s ON s.id = parts.site_id GROUP BY parts.day, parts.group_id, s.street_id",
        "INSERT INTO finding_days (day, group_id, street_id, category, findings, closed, on_time) "
        f"SELECT {_day('f.found_at', dialect)}, f.group_id, s.street_id, f.category, count(*), count(f.closed_at), "
        f"sum({on_time}) FROM findings f JOIN sites s ON s.id = f.site_id GROUP BY 1, 2, 3, 4",
        "INSERT INTO finding_months (day, group_id, street_id, category, findings, closed, on_time) "
        f"SELECT {_month('day', dialect)}, group_id, street_id, category, sum(findings), sum(closed), sum(on_time) "
        "FROM finding_days GROUP BY 1, 2, 3, 4",
        "INSERT INTO finding_day_totals (day, group_id, street_id, findings) "
        "SELECT day, group_id, street_id, sum(findings) FROM finding_days GROUP BY 1, 2, 3",
        "INSERT INTO open_due_days (day, group_id, street_id, n_open) "
        "SELECT f.due_date, f.group_id, s.street_id, count(*) FROM findings f "
        "JOIN sites s ON s.id = f.site_id WHERE f.closed_at IS NULL GROUP BY 1, 2, 3",
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
