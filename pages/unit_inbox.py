"""本单位整改 (责任单位 accounts): the problems handed to this unit, replies with after-photos, extension
requests, the site's timeline for those problems and the unit's 交办单. Layout in gangwen_dash.ui.units."""

from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.units import unit_page

unit_page(require_actor(__file__))
