"""``init-db``, ``seed-demo`` and ``bootstrap``: the database's schema and the demo."""

from __future__ import annotations

from gangwen_dash.cli import CliError


def cmd_init_db(args) -> int:
    from gangwen_dash import migrate
    from gangwen_dash.db import check_connection

    check_connection()
    migrate.upgrade()
    print("数据库已迁移到最新版本")
    return 0


def cmd_seed_demo(args) -> int:
    from gangwen_dash import demo
    from gangwen_dash.db import check_connection, write_session

    check_connection()
    try:
        with write_session() as session:
            counts = demo.load(session, reset=args.reset)
    except demo.DatabaseNotEmpty as exc:
        raise CliError(str(exc)) from None
    print("演示数据已写入：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_bootstrap(args) -> int:
    """What ``make run`` does before starting the app: migrate, then seed the demo if empty and allowed."""
    from gangwen_dash import demo, migrate
    from gangwen_dash.config import auth_config_problem, get_settings
    from gangwen_dash.db import check_connection, read_session, write_session

    problem = auth_config_problem()
    if problem:
        raise CliError(problem)
    check_connection()
    migrate.upgrade()
    with read_session() as session:
        empty = demo.is_empty(session)
    if empty and get_settings().seed_demo:
        with write_session() as session:
            demo.load(session)
        print("空数据库（无账号、无业务数据）：已写入 2019 年演示数据与公开密码的演示账号"
              "（正式部署请设置 GANGWEN_SEED_DEMO=0）")
    else:
        print("数据库已就绪")
    return 0


def register(sub) -> None:
    p = sub.add_parser("init-db", help="应用数据库迁移")
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("seed-demo", help="写入 2019 年演示数据")
    p.add_argument("--reset", action="store_true", help="清空现有业务数据后写入（审计日志保留）")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("bootstrap", help="迁移；空库且允许时写入演示数据（make run 使用）")
    p.set_defaults(func=cmd_bootstrap)
