"""Reminders that arrive (issue 15): daily digests per responsible unit and per inspection group, put in
the ``outbox`` table and delivered by e-mail (SMTP) and group-robot webhooks (企业微信 / 钉钉).

``run(day, now=…)`` is what ``python -m gangwen_dash notify`` does from cron:

1. ``enqueue``: build the day's digests and add one outbox row per (day, audience, channel, recipient);
   the row's ``dedupe_key`` is unique, so a second run that day adds nothing;
2. ``deliver``: send every row that is 待发送, or 发送失败 whose back-off has passed, each outside any
   database transaction (a slow server never holds a lock the app needs), then mark it 已发送 or
   发送失败 with the error and the next attempt (5 min, 10, 20 … capped at 6 h; at most 8 attempts).

Empty digests are not sent. The app never sends anything itself: it only shows the outbox (机关).
"""

from gangwen_dash.notify.digest import Digest, build_digests  # noqa: F401
from gangwen_dash.notify.outbox import deliver, enqueue, run  # noqa: F401
