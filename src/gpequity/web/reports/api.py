"""REST endpoints of the reports area (mounted on /api/ by gpequity.web.api)."""

from ninja import Router

router = Router(tags=["reports"])
