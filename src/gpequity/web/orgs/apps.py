from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gpequity.web.orgs"
    label = "orgs"
