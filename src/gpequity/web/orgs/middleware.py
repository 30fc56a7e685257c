"""Remember access levels for the length of one request (see ``access.level``)."""

from __future__ import annotations

from . import access


class AccessMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = access._memo.set({})
        try:
            return self.get_response(request)
        finally:
            access._memo.reset(token)
