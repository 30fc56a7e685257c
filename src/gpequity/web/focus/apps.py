from django.apps import AppConfig


class FocusConfig(AppConfig):
    name = "gpequity.web.focus"
    label = "focus"
