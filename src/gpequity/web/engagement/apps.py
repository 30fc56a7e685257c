from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "gpequity.web.engagement"
    label = "engagement"
