"""REST endpoints of the focus area (mounted on /api/ by gpequity.web.api)."""

from ninja import Router

router = Router(tags=["focus"])
