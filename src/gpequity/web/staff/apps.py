from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "gpequity.web.staff"
    label = "staff"
    verbose_name = "Site staff area"
