"""提醒发件箱 (机关): every reminder the notify command queued, sent or failed, and why."""

from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.units import outbox_page

require_actor(__file__)
outbox_page()
