from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "gpequity.web.audit"
    label = "audit"
