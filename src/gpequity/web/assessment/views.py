"""Assessment pages, including the practice dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gpequity.web.orgs import access


@login_required
def dashboard(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return render(request, "assessment/dashboard.html", {"org": org})
