from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "gpequity.web.directory"
    label = "directory"
    verbose_name = "Directory of local services"

    def ready(self) -> None:
        from gpequity.web.core.dashboard import register_section

        from .dashboard import open_problems

        register_section(
            "directory-problems",
            order=45,
            template="directory/_dashboard_problems.html",
            build=open_problems,
        )
