"""Network pages: a practice's sharing settings; PCN and ICB views of what is shared."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from gpequity.web.orgs import access
from gpequity.web.orgs.models import OrgKind

from . import presenters, selectors, services
from .forms import CHOICES, HINTS, SharingForm


def _practice(user, ods_code: str, perm: str):
    org = access.get_org(user, ods_code, perm)
    if org.kind != OrgKind.PRACTICE:
        raise Http404("Only a practice has sharing settings")
    return org


@login_required
@require_http_methods(["GET", "POST"])
def sharing(request, ods_code: str):
    """What the practice shares with its PCN and ICB; its lead may change it."""
    perm = access.MANAGE if request.method == "POST" else access.VIEW
    org = _practice(request.user, ods_code, perm)
    current = selectors.sharing_for(org)
    can_manage = access.can(request.user, org, access.MANAGE)
    form = SharingForm(request.POST or None, initial=SharingForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.sharing_update(
                actor=request.user,
                organisation=org,
                settings=form.switches(),
                expected_version=form.cleaned_data["version"],
            )
        except services.SharingConflict as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Sharing settings saved. They apply from now.")
            return redirect("network:sharing", ods_code=org.ods_code)
    ctx = {
        "org": org,
        "form": form,
        "can_manage": can_manage,
        "audiences": presenters.sharing_audiences(org, current, form),
        "hints": HINTS,
        "choices": CHOICES,
        "breadcrumbs": [
            ("My organisations", reverse("orgs:list")),
            (org.name, f"/orgs/{org.ods_code}/"),
        ],
    }
    return render(request, "network/sharing.html", ctx, status=400 if form.errors else 200)


def _network(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    net = selectors.network_for(request.user, org)
    if net is None:
        raise Http404("Not a network")
    return net


def _crumbs(net, *extra):
    return [
        ("My organisations", reverse("orgs:list")),
        (net.org.name, reverse("orgs:dashboard", args=[net.org.ods_code])),
        *extra,
    ]


@login_required
def dashboard(request, ods_code: str):
    """A PCN's or ICB's view of what its practices share."""
    from gpequity.web.plans.selectors import today

    net = _network(request, ods_code)
    ctx = {
        "org": net.org,
        "net": net,
        **presenters.dashboard(net, today=today()),
        "breadcrumbs": _crumbs(net),
    }
    return render(request, "network/dashboard.html", ctx)


def _view_param(request) -> str:
    from .benchmarking import VIEWS

    view = request.GET.get("view", "overall")
    return view if view in VIEWS else "overall"


@login_required
def benchmarks(request, ods_code: str):
    """The indicators the network can compare its practices on."""
    net = _network(request, ods_code)
    ctx = {
        "org": net.org,
        "net": net,
        **presenters.benchmark_index(net),
        "breadcrumbs": _crumbs(
            net, ("Network view", reverse("network:dashboard", args=[ods_code]))
        ),
    }
    return render(request, "network/benchmarks.html", ctx)


@login_required
def benchmark(request, ods_code: str, indicator: str):
    """One indicator: funnel plot, ranked chart and table, all disclosed."""
    net = _network(request, ods_code)
    view = _view_param(request)
    ctx = presenters.benchmark_context(net, indicator, view)
    if ctx is None:
        raise Http404("No such indicator in the shared results")
    ctx.update(
        org=net.org,
        net=net,
        breadcrumbs=_crumbs(
            net,
            ("Network view", reverse("network:dashboard", args=[ods_code])),
            ("Compare practices", reverse("network:benchmarks", args=[ods_code])),
        ),
    )
    return render(request, "network/benchmark.html", ctx)


@login_required
def benchmark_csv(request, ods_code: str, indicator: str):
    """The benchmark table as CSV: the same disclosed figures as the page."""
    from django.http import HttpResponse

    from . import exports

    net = _network(request, ods_code)
    view = _view_param(request)
    ctx = presenters.benchmark_context(net, indicator, view, charts_too=False)
    if ctx is None:
        raise Http404("No such indicator in the shared results")
    response = HttpResponse(exports.benchmark_csv(ctx), content_type="text/csv; charset=utf-8")
    name = f"{net.org.ods_code}-{indicator}-{view}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def needs(request, ods_code: str):
    """The network's combined needs assessment from the practices that share results."""
    net = _network(request, ods_code)
    ctx = {
        "org": net.org,
        "net": net,
        **presenters.needs_context(net),
        "breadcrumbs": _crumbs(
            net, ("Network view", reverse("network:dashboard", args=[ods_code]))
        ),
    }
    return render(request, "network/needs.html", ctx)
