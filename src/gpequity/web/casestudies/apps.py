from django.apps import AppConfig


class CaseStudiesConfig(AppConfig):
    name = "gpequity.web.casestudies"
    label = "casestudies"
    verbose_name = "Case studies"
