from django.apps import AppConfig


class HnaConfig(AppConfig):
    name = "gpequity.web.hna"
    label = "hna"
    verbose_name = "Health needs assessment"

    def ready(self) -> None:
        from gpequity.web.core.dashboard import register_section

        from .dashboard import latest_findings

        register_section(
            "hna-findings",
            order=20,
            template="hna/_dashboard_findings.html",
            build=latest_findings,
        )
