from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "gpequity.web.plans"
    label = "plans"
