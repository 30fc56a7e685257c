from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gpequity.web.core"
    label = "gpcore"

    def ready(self) -> None:
        from . import signin

        signin.connect()
