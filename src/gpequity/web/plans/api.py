"""REST endpoints of the plans area (mounted on /api/ by gpequity.web.api)."""

from ninja import Router

router = Router(tags=["plans"])
