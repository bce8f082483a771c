"""交办单: hand problems over to a unit with a numbered letter (PDF, reprintable); the group leader's
pending extension requests. Layout in gangwen_dash.ui.units."""

from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.units import letters_page

letters_page(require_actor(__file__))
