"""Migrations apply cleanly, match the models, and the database itself enforces the rules."""

from datetime import date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from gangwen_dash import migrate
from gangwen_dash.db import get_engine, write_session
from gangwen_dash.models import AuditLog, Base, Finding, Inspection, Site
from tests.support.factory import Factory


def test_migrations_match_models_and_downgrade_cleanly(db_url):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    migrate.downgrade(db_url, "base")
    with engine.connect() as conn:
        names = set(conn.dialect.get_table_names(conn))
    assert names <= {"alembic_version"}
    migrate.upgrade(db_url)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)  # raises when models and migrations disagree


@pytest.fixture
def site(engine):
    with write_session(engine) as s:
        f = Factory(s)
        st = f.street()
        g = f.group()
        site = f.site(st)
        insp = f.inspection(site, g, datetime(2019, 11, 11, 9))
        return {"site": site.id, "street": st.id, "group": g.id, "inspection": insp.id}


@pytest.mark.parametrize(
    "model,values",
    [
        (Site, {"name": "越界工地", "lat": 95.0, "lon": 120.8}),
        (Inspection, {"kind": "随便看看", "inspected_at": datetime(2019, 1, 1)}),
        (Finding, {"category": "S9"}),
        (Finding, {"severity": "很严重"}),
        (Finding, {"status": "已销号"}),  # closed without closed_at
        (Finding, {"recheck_failures": -1}),
    ],
)
def test_check_constraints_refuse_bad_rows(engine, site, model, values):
    base = {
        Site: {"street_id": site["street"]},
        Inspection: {"site_id": site["site"], "group_id": site["group"]},
        Finding: {"inspection_id": site["inspection"], "site_id": site["site"], "group_id": site["group"],
                  "found_at": datetime(2019, 11, 11, 9), "category": "S2", "severity": "一般",
                  "description": "x", "responsible_unit": "住建局", "due_date": date(2019, 11, 12),
                  "first_due_date": date(2019, 11, 12), "status": "整改中", "recheck_failures": 0},
    }[model]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(model).values(**{**base, **values}))


def test_foreign_keys_and_unique_names_enforced(engine, site):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Inspection).values(site_id=99999, group_id=site["group"], kind="日常督查",
                                               inspected_at=datetime(2019, 1, 1)))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Site).values(name="工地3", street_id=site["street"], lat=32.0, lon=120.8))


def test_audit_log_is_append_only(engine):
    with engine.begin() as conn:
        conn.execute(insert(AuditLog).values(at=datetime(2019, 1, 1), username="u", action="a", entity="e"))
    for stmt in (update(AuditLog).values(action="changed"), text("DELETE FROM audit_log")):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(stmt)
