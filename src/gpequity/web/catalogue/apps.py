from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "gpequity.web.catalogue"
    label = "catalogue"
