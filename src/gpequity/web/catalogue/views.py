"""Catalogue pages."""

from django.shortcuts import render

from gpequity.catalogue import load_pack


def index(request):
    return render(request, "catalogue/index.html", {"pack": load_pack()})
