"""The one list of ways into the organisation API: a personal token or the browser session.

``ORG_AUTH = [BearerToken(), django_auth]``: a request with ``Authorization: Bearer <token>``
acts as the token's user, with exactly that user's permissions (every endpoint still calls
gpequity.web.orgs.access), and needs no CSRF token because browsers never send the header
on their own. A request without it falls back to the signed-in session, which keeps its CSRF
check on writes. Every router of the organisation API uses this list (ADR 23).
"""

from __future__ import annotations

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        from gpequity.web.accounts.services import token_user

        user = token_user(token, method=request.method, path=request.path)
        if user is None:
            # A bearer token was sent and is not valid (unknown, revoked, expired): refuse
            # with 401 rather than fall back to a session the script did not mean to use.
            raise AuthenticationError(
                message="The API token is not valid: it may be revoked or expired."
            )
        request.user = user
        return user


ORG_AUTH = [BearerToken(), django_auth]
