"""Test-client helpers for the two sessions (evalsite/middleware.py) and session-stored CSRF secrets.

Rater pages (/r/...) keep the rater binding and the CSRF secret in the rater session cookie
(RATER_SESSION_COOKIE_NAME); owner pages in the site session. No page sets a CSRF cookie
(CSRF_USE_SESSIONS), so a test takes the token from the session, as the page's form does.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.middleware.csrf import CSRF_SESSION_KEY, _get_new_csrf_string
from django.test import Client


def _store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def rater_session(client: Client) -> SessionBase:
    """The rater session this client's cookie points to (empty when it has none)."""
    cookie = client.cookies.get(settings.RATER_SESSION_COOKIE_NAME)
    return _store()(cookie.value if cookie else None)


def csrf_token(client: Client, *, rater: bool = True) -> str:
    """The CSRF secret of the client's rater session (or site session): a valid X-CSRFToken value."""
    session = rater_session(client) if rater else client.session
    return session[CSRF_SESSION_KEY]


def with_empty_rater_session(client: Client) -> Client:
    """Give `client` a rater session holding only a CSRF secret: CSRF passes, no rater is bound."""
    session = _store()()
    session[CSRF_SESSION_KEY] = _get_new_csrf_string()
    session.save()
    client.cookies[settings.RATER_SESSION_COOKIE_NAME] = session.session_key
    return client
