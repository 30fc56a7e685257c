from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "gpequity.web.engagement"
    label = "engagement"

    def ready(self) -> None:
        from gpequity.web.core.dashboard import register_section

        from .dashboard import waiting_insights

        register_section(
            "engagement-waiting",
            order=40,
            template="engagement/_dashboard_waiting.html",
            build=waiting_insights,
        )
