"""REST endpoints of the catalogue area (mounted on /api/ by gpequity.web.api)."""

from ninja import Router

router = Router(tags=["catalogue"])
