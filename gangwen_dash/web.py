"""HTTP routes served beside the Streamlit app (``st.App`` in ``serve.py``): the sign-in cookie.

The script cannot set an HttpOnly cookie, so after the sign-in form succeeds it sends the browser to
``/session/start?code=…&next=…``; this route exchanges the one-time code for the session token, sets it
as an HttpOnly, SameSite=Lax cookie (Secure over HTTPS, also behind a proxy that says so) and redirects to
the page the user wanted. ``/session/end`` ends the session and clears the cookie. Any other address that is
neither a page nor Streamlit's own is sent to the start page instead of Streamlit's English "Page not found".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Route

from gangwen_dash.services import sessions

START = "/session/start"
END = "/session/end"


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``): never an open redirect."""
    value = value or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _secure(request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def start(request):
    claimed = sessions.claim(request.query_params.get("code", ""))
    if claimed is None:
        return RedirectResponse("/login?notice=expired", status_code=303)
    token, max_age = claimed
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(sessions.COOKIE_NAME, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


def end(request):
    reason = request.query_params.get("reason", "signed_out")
    if reason not in sessions.ENDED:
        reason = "signed_out"
    sessions.end(request.cookies.get(sessions.COOKIE_NAME), reason)
    response = RedirectResponse(f"/login?notice={reason}", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


ROUTES = [Route(START, start, methods=["GET"]), Route(END, end, methods=["GET"])]

# Streamlit's own prefixes, and our routes: everything else must be a page address.
_PASSTHROUGH = ("/_stcore", "/static", "/app/static", "/media", "/component", "/auth", "/oauth2callback",
                "/session", "/favicon", "/manifest", "/robots")


class UnknownPathMiddleware:
    """A typed or stale address that is no page goes to ``/`` (with a Chinese notice there), not to
    Streamlit's English "Page not found" dialog."""

    def __init__(self, app, known_pages: frozenset[str]) -> None:
        self.app = app
        self.known = known_pages

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "GET":
            path = scope.get("path", "/")
            first = path.strip("/").split("/", 1)[0]
            if path != "/" and not path.startswith(_PASSTHROUGH) and first not in self.known and "." not in first:
                response = RedirectResponse("/?notice=unknown_page", status_code=303)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def middleware(known_pages) -> list[Middleware]:
    return [Middleware(UnknownPathMiddleware, known_pages=frozenset(known_pages))]
