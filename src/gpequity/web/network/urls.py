"""Network URLs, under /orgs/<ods_code>/."""

from django.urls import path

from . import board_views

app_name = "network"
urlpatterns = [
    path("board/", board_views.board_page, name="board"),
    path("board/pdf-builds/", board_views.pdf_build_new, name="board_pdf_build_new"),
]
