from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "gpequity.web.assessment"
    label = "assessment"
