"""``python -m gangwen_dash create-user``: the first-run admin account (and any other account).

The password is never an argument (it would show in ``ps`` and the shell history): it is read from a
prompt (twice) on a terminal, or from the first line of standard input otherwise
(``printf '%s\\n' "$PW" | python -m gangwen_dash create-user …``). The account must change it at
first sign-in.
"""

from __future__ import annotations

import getpass
import sys

from gangwen_dash.domain import ROLE_LABELS, ROLES


def read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("密码（至少 8 位）：")
        second = getpass.getpass("再次输入密码：")
        if first != second:
            from gangwen_dash.cli import CliError

            raise CliError("两次输入的密码不一致")
        return first
    return stdin.readline().rstrip("\r\n")


def cmd_create_user(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import check_connection
    from gangwen_dash.services.base import SYSTEM, Actor, ServiceError, ValidationFailed
    from gangwen_dash.services.users import create_user, group_id_by_name

    check_connection()
    actor = Actor(user_id=None, username="cli", role=SYSTEM.role, display_name="命令行")
    try:
        group_id = group_id_by_name(args.group) if args.group else None
        password = read_password()
        user_id = create_user(actor, {"username": args.username, "display_name": args.display_name or "",
                                      "role": args.role, "group_id": group_id}, password)
    except ValidationFailed as exc:
        raise CliError("；".join(exc.errors.values())) from None
    except ServiceError as exc:
        raise CliError(str(exc)) from None
    print(f"已创建用户 {args.username}（{ROLE_LABELS[args.role]}，编号 {user_id}），首次登录须修改密码")
    return 0


def register(sub) -> None:
    p = sub.add_parser("create-user", help="创建用户账号（密码从提示或标准输入读取，首次登录须修改）")
    p.add_argument("--username", required=True, help="登录名")
    p.add_argument("--role", required=True, choices=ROLES,
                   help="角色：" + "，".join(f"{r}={ROLE_LABELS[r]}" for r in ROLES))
    p.add_argument("--group", help="督查组名称（督查组成员和组长必填），如 第一督查组")
    p.add_argument("--display-name", help="显示的姓名")
    p.set_defaults(func=cmd_create_user)
