from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gpequity.web.core"
    label = "gpcore"
