from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gpequity.web.orgs"
    label = "orgs"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from . import access
        from .models import Membership, Organisation

        def forget(**kwargs) -> None:
            access.forget()

        for model in (Membership, Organisation, get_user_model()):
            post_save.connect(
                forget, sender=model, weak=False, dispatch_uid=f"access-memo-{model.__name__}"
            )
            post_delete.connect(
                forget, sender=model, weak=False, dispatch_uid=f"access-memo-del-{model.__name__}"
            )
