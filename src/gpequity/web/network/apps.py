from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "gpequity.web.network"
    label = "network"

    def ready(self) -> None:
        from gpequity.web.core.nav import PRACTICE, OrgNavItem, register

        register(OrgNavItem("Sharing", "network:sharing", kinds=(PRACTICE,)), before="orgs:members")
