"""The REST API (django-ninja): one router per area, OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from gpequity import __version__
from gpequity.web.assessment.api import router as assessment_router
from gpequity.web.casestudies.api import org_router as casestudies_org_router
from gpequity.web.casestudies.api import router as casestudies_router
from gpequity.web.catalogue.api import router as catalogue_router
from gpequity.web.engagement.api import router as engagement_router
from gpequity.web.feedback.api import router as feedback_router
from gpequity.web.focus.api import router as focus_router
from gpequity.web.hna.api import router as hna_router
from gpequity.web.network.api import router as network_router
from gpequity.web.orgs.api import router as orgs_router
from gpequity.web.plans.api import router as plans_router
from gpequity.web.reports.api import router as reports_router

api = NinjaAPI(
    title="gpequity API",
    version=__version__,
    description=(
        "Read the framework catalogue (open to everyone) and, when signed in, your "
        "organisations' workspace. Every organisation endpoint checks your role."
    ),
    urls_namespace="api",
    docs_url=None,  # our own accessible page at /api/docs (gpequity.web.core.views.api_docs)
)
api.add_router("/catalogue/", catalogue_router)
api.add_router("/orgs/", orgs_router)
api.add_router("/orgs/", assessment_router)
api.add_router("/orgs/", focus_router)
api.add_router("/orgs/", plans_router)
api.add_router("/orgs/", reports_router)
api.add_router("/orgs/", feedback_router)
api.add_router("/case-studies", casestudies_router)
api.add_router("/orgs/", casestudies_org_router)
api.add_router("/orgs/", engagement_router)
api.add_router("/orgs/", hna_router)
api.add_router("/orgs/", network_router)

__all__ = ["api"]
