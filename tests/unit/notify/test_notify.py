"""Issue 15: daily reminders through the outbox, against a real local SMTP server (aiosmtpd) and a local
HTTP server standing in for the 企业微信/钉钉 group robot."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from gangwen_dash import config
from gangwen_dash.db import get_engine, read_session, write_session
from gangwen_dash.models import Finding, InspectionGroup, OutboxMessage, Unit
from gangwen_dash.notify import outbox
from gangwen_dash.notify.digest import build_digests
from gangwen_dash.pgcluster import free_port

DAY = date(2019, 11, 14)
NOW = datetime(2019, 11, 14, 7, 30)


class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch, tmp_path):
    box = _Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[gangwen.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "督查看板 <dash@example.gov.cn>"\n',
                       encoding="utf-8")
    monkeypatch.setenv("GANGWEN_SECRETS_FILE", str(secrets))
    config.reset_settings()
    yield box
    controller.stop()
    config.reset_settings()


class _Robot(BaseHTTPRequestHandler):
    received: list = []
    fail = False

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).fail:
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((self.path, json.loads(body)))
        answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    _Robot.received, _Robot.fail = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _setup(engine, robot_url):
    """Known open problems for 住建局 on DAY: one overdue, one due tomorrow, one handed over yesterday; the
    first group's leader gets the webhook digest."""
    with write_session(engine) as s:
        s.execute(update(Unit).values(notify_email="", webhook_url=""))
        s.execute(update(Unit).where(Unit.name == "住建局").values(notify_email="zjj@example.gov.cn"))
        s.execute(update(InspectionGroup).where(InspectionGroup.name == "第一督查组")
                  .values(webhook_url=f"{robot_url}/cgi-bin/webhook/send?key=g1"))
        gid = s.execute(select(InspectionGroup.id).where(InspectionGroup.name == "第一督查组")).scalar_one()
        # Park every open demo problem far in the future so the digests hold only the cases below.
        s.execute(update(Finding).where(Finding.closed_at.is_(None)).values(
            due_date=date(2030, 1, 1), handed_over_at=datetime(2019, 1, 1)))
        s.execute(update(Finding).where(Finding.status == "待复查").values(status="整改中"))
        rows = s.execute(select(Finding).where(Finding.closed_at.is_(None), Finding.group_id == gid)
                         .order_by(Finding.id).limit(4)).scalars().all()
        cases = [("整改中", DAY - timedelta(days=3), datetime(2019, 11, 1, 9), "描述：逾期未改"),
                 ("整改中", DAY + timedelta(days=1), datetime(2019, 11, 5, 9), "描述：明天到期"),
                 ("整改中", DAY + timedelta(days=10), datetime(2019, 11, 13, 15), "描述：昨天新交办"),
                 ("待复查", DAY + timedelta(days=5), datetime(2019, 11, 8, 9), "描述：等待复查")]
        for f, (status, due, handed, text) in zip(rows, cases, strict=True):
            f.status, f.due_date, f.handed_over_at, f.description = status, due, handed, text
            f.responsible_unit = "住建局"
            if status == "待复查":
                f.replied_at = datetime(2019, 11, 12, 9)
        return [f.id for f in rows]


def _outbox(engine):
    with read_session(engine) as s:
        return s.execute(select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.state,
                                OutboxMessage.attempts, OutboxMessage.last_error).order_by(OutboxMessage.id)).all()


def test_digests_reach_the_right_recipients_once(demo_engine, smtp_server, robot):
    _, url = robot
    ids = _setup(demo_engine, url)
    added, done = outbox.run(DAY, now=NOW, engine=demo_engine)
    assert (added, done.sent, done.failed) == (2, 2, 0)
    # E-mail to 住建局: its overdue, due-soon and newly handed-over problems, nothing else.
    assert len(smtp_server.messages) == 1
    rcpt, mail = smtp_server.messages[0]
    assert rcpt == ["zjj@example.gov.cn"]
    assert mail["Subject"] == "【督查提醒】住建局 2019-11-14：已逾期 1 项，2 天内到期 1 项，新交办 1 项"
    body = mail.get_content()
    assert f"#{ids[0]} " in body and "已逾期 3 天" in body
    assert f"#{ids[1]} " in body and "期限 2019-11-15" in body
    assert f"#{ids[2]} " in body
    assert f"#{ids[3]} " not in body  # awaiting re-check: the group's move, not the unit's
    # Webhook to the first group: replies waiting for 复查 and the group's overdue, robot text format.
    assert len(_Robot.received) == 1
    path, payload = _Robot.received[0]
    assert path == "/cgi-bin/webhook/send?key=g1"
    assert payload["msgtype"] == "text"
    content = payload["text"]["content"]
    assert content.startswith("【督查提醒】第一督查组 2019-11-14：待复查 1 项，本组逾期 1 项")
    assert f"#{ids[3]} " in content and "住建局已回复" in content and f"#{ids[0]} " in content
    assert [r[:3] for r in _outbox(demo_engine)] == [
        ("email", "zjj@example.gov.cn", "已发送"), ("webhook", f"{url}/cgi-bin/webhook/send?key=g1", "已发送")]
    # Twice a day: nothing new, nothing sent again.
    added, done = outbox.run(DAY, now=NOW + timedelta(hours=6), engine=demo_engine)
    assert (added, done.sent, done.failed) == (0, 0, 0)
    assert len(smtp_server.messages) == 1 and len(_Robot.received) == 1


def test_a_failing_server_leaves_the_message_failed_and_a_later_run_retries(demo_engine, smtp_server, robot):
    _, url = robot
    _setup(demo_engine, url)
    _Robot.fail = True
    added, done = outbox.run(DAY, now=NOW, engine=demo_engine)
    assert (added, done.sent, done.failed) == (2, 1, 1)
    webhook = [r for r in _outbox(demo_engine) if r[0] == "webhook"][0]
    assert webhook[2:4] == ("发送失败", 1) and "HTTP 503" in webhook[4]
    # Before the back-off has passed nothing is tried; after it, the message goes.
    _Robot.fail = False
    assert outbox.run(DAY, now=NOW + timedelta(minutes=2), engine=demo_engine)[1].sent == 0
    assert _Robot.received == []
    added, done = outbox.run(DAY, now=NOW + outbox.backoff(1) + timedelta(seconds=1), engine=demo_engine)
    assert (added, done.sent, done.failed) == (0, 1, 0)
    assert len(_Robot.received) == 1
    webhook = [r for r in _outbox(demo_engine) if r[0] == "webhook"][0]
    assert webhook[2:] == ("已发送", 2, "")
    assert len(smtp_server.messages) == 1  # the e-mail was not sent twice


def test_unreachable_smtp_is_recorded_with_its_error(demo_engine, monkeypatch, tmp_path, robot):
    _, url = robot
    _setup(demo_engine, url)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[gangwen.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\n', encoding="utf-8")
    monkeypatch.setenv("GANGWEN_SECRETS_FILE", str(secrets))
    config.reset_settings()
    outbox.run(DAY, now=NOW, engine=demo_engine)
    mail = [r for r in _outbox(demo_engine) if r[0] == "email"][0]
    assert mail[2] == "发送失败" and "ConnectionRefusedError" in mail[4]
    assert outbox.backoff(1) < outbox.backoff(2) < outbox.backoff(3) <= outbox.MAX_BACKOFF


def test_cli_dry_run_prints_and_sends_nothing_then_a_real_run_sends(demo_url, smtp_server, robot):
    _, url = robot
    engine = get_engine(demo_url)
    _setup(engine, url)
    env = {**os.environ, "GANGWEN_DATABASE_URL": demo_url}
    dry = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "notify", "--date", "2019-11-14", "--dry-run"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "【督查提醒】住建局 2019-11-14" in dry.stdout and "email zjj@example.gov.cn" in dry.stdout
    assert "【督查提醒】第一督查组 2019-11-14" in dry.stdout and "试运行：2 份提醒" in dry.stdout
    assert _outbox(engine) == [] and smtp_server.messages == [] and _Robot.received == []
    run = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "notify", "--date", "2019-11-14"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "新加入发件箱 2 条；本次发送成功 2 条" in run.stdout
    again = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "notify", "--date", "2019-11-14"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert "新加入发件箱 0 条；本次发送成功 0 条" in again.stdout
    assert len(smtp_server.messages) == 1 and len(_Robot.received) == 1
    bad = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "notify", "--date", "明天"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_no_address_no_digest(demo_engine):
    with write_session(demo_engine) as s:
        s.execute(update(Unit).values(notify_email="", webhook_url=""))
        s.execute(update(InspectionGroup).values(notify_email="", webhook_url=""))
    with read_session(demo_engine) as s:
        assert build_digests(s, date(2019, 12, 20)) == []
