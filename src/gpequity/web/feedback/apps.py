import logging

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "gpequity.web.feedback"
    label = "feedback"

    def ready(self) -> None:
        from .middleware import DropAnonymousZoneRecords

        # The development server's access log and Django's request log never name a writer's
        # page (ADR 22). Filters sit on the loggers themselves, whatever handlers are set.
        for name in ("django.server", "django.request"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, DropAnonymousZoneRecords) for f in logger.filters):
                logger.addFilter(DropAnonymousZoneRecords())
