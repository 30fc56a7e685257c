from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "gpequity.web.reports"
    label = "reports"
