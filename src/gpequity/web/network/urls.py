"""Network URLs, under /orgs/<ods_code>/."""

from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("sharing/", views.sharing, name="sharing"),
    path("network/", views.dashboard, name="dashboard"),
    path("network/needs/", views.needs, name="needs"),
    path("network/benchmarks/", views.benchmarks, name="benchmarks"),
    path("network/benchmarks/<slug:indicator>/", views.benchmark, name="benchmark"),
    path("network/benchmarks/<slug:indicator>.csv", views.benchmark_csv, name="benchmark_csv"),
]
