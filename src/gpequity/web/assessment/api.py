"""REST endpoints of the assessment area (mounted on /api/ by gpequity.web.api)."""

from ninja import Router

router = Router(tags=["assessment"])
