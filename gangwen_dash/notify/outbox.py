"""The outbox: enqueue the day's digests once, deliver with retries and back-off (see the package doc)."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from gangwen_dash import domain
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import OutboxMessage
from gangwen_dash.notify.digest import Digest, build_digests

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
TIMEOUT = 15  # seconds per delivery


class DeliveryError(Exception):
    """A delivery failed; the message is stored as the outbox row's ``last_error``."""


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def messages_for(d: Digest, day: date) -> list[dict]:
    out = []
    for channel, recipient in (("email", d.email), ("webhook", d.webhook_url)):
        for addr in [a.strip() for a in recipient.replace("；", ";").replace(",", ";").split(";")] if recipient else []:
            if addr:
                out.append({"dedupe_key": f"{day:%Y-%m-%d}|{d.audience}:{d.audience_id}|{channel}|{addr}"[:200],
                            "digest_date": day, "audience": d.audience, "audience_id": d.audience_id,
                            "audience_name": d.name[:60], "channel": channel, "recipient": addr,
                            "subject": d.subject(day)[:200], "body": d.body(day)})
    return out


def enqueue(day: date, *, now: datetime | None = None, engine=None) -> int:
    """Add the day's digests to the outbox (once per key); returns how many rows were added."""
    now = (now or local_now()).replace(microsecond=0)
    with read_session(engine) as session:
        wanted = [m for d in build_digests(session, day) for m in messages_for(d, day)]
    added = 0
    for m in wanted:
        try:
            with write_session(engine) as session:
                if session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == m["dedupe_key"])).first():
                    continue
                session.add(OutboxMessage(**m, state=domain.OUT_PENDING, attempts=0, last_error="",
                                          next_attempt_at=now, created_at=now))
            added += 1
        except IntegrityError:  # another run added it meanwhile
            continue
    return added


def send_email(recipient: str, subject: str, body: str) -> None:
    cfg = get_settings().smtp
    if not cfg.get("host"):
        raise DeliveryError("未配置邮件服务器（secrets.toml [gangwen.smtp] host）")
    msg = EmailMessage()
    sender = cfg.get("sender") or cfg.get("username") or "gangwen-dash@localhost"
    name, addr = parseaddr(sender)
    msg["From"] = formataddr((name, addr)) if name else addr
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    port = int(cfg.get("port", 465 if cfg.get("ssl") else 25))
    try:
        if cfg.get("ssl"):
            smtp = smtplib.SMTP_SSL(cfg["host"], port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg["host"], port, timeout=TIMEOUT)
        with smtp:
            if cfg.get("starttls"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("username"):
                smtp.login(cfg["username"], cfg.get("password", ""))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"邮件发送失败：{type(exc).__name__}: {exc}") from exc


def webhook_payload(subject: str, body: str) -> dict:
    """The group-robot message: 企业微信 and 钉钉 both take ``{"msgtype": "text", "text": {"content": …}}``
    (text, not markdown: problem descriptions are shown as typed)."""
    return {"msgtype": "text", "text": {"content": f"{subject}\n\n{body}"}}


def send_webhook(url: str, subject: str, body: str) -> None:
    data = json.dumps(webhook_payload(subject, body), ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            raw = resp.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"群机器人返回 HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"群机器人不可达：{type(exc).__name__}: {exc}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryError(f"群机器人拒收：errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0


def deliver(*, now: datetime | None = None, engine=None) -> Delivered:
    """Send what is due; each message's outcome is committed on its own."""
    now = (now or local_now()).replace(microsecond=0)
    with read_session(engine) as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
                   OutboxMessage.body)
            .where(or_(OutboxMessage.state == domain.OUT_PENDING, OutboxMessage.state == domain.OUT_FAILED),
                   OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)).all()
    result = Delivered()
    for mid, channel, recipient, subject, body in due:
        error = ""
        try:
            (send_email if channel == "email" else send_webhook)(recipient, subject, body)
        except DeliveryError as exc:
            error = str(exc)[:2000]
        with write_session(engine) as session:
            row = session.get(OutboxMessage, mid, with_for_update=True)
            if row is None or row.state == domain.OUT_SENT:
                continue
            row.attempts += 1
            if error:
                row.state, row.last_error = domain.OUT_FAILED, error
                row.next_attempt_at = now + backoff(row.attempts)
                result.failed += 1
            else:
                row.state, row.last_error, row.sent_at = domain.OUT_SENT, "", now
                result.sent += 1
    return result


def run(day: date, *, now: datetime | None = None, engine=None) -> tuple[int, Delivered]:
    added = enqueue(day, now=now, engine=engine)
    return added, deliver(now=now, engine=engine)
