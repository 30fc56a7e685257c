"""Network URLs, under /orgs/<ods_code>/."""

from django.urls import path

from . import board_views, views

app_name = "network"
urlpatterns = [
    path("sharing/", views.sharing, name="sharing"),
    path("network/", views.dashboard, name="dashboard"),
    path("network/needs/", views.needs, name="needs"),
    path("network/benchmarks/", views.benchmarks, name="benchmarks"),
    path("network/benchmarks/<slug:indicator>/", views.benchmark, name="benchmark"),
    path("network/benchmarks/<slug:indicator>.csv", views.benchmark_csv, name="benchmark_csv"),
    # The board assurance report (ADR 27)
    path("network/board/", board_views.board_page, name="board"),
    path("network/board/pdf-builds/", board_views.pdf_build_new, name="board_pdf_build_new"),
]
