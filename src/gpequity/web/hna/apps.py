from django.apps import AppConfig


class HnaConfig(AppConfig):
    name = "gpequity.web.hna"
    label = "hna"
    verbose_name = "Health needs assessment"
