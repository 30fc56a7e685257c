from django.apps import AppConfig


class HelpConfig(AppConfig):
    name = "gpequity.web.helpcentre"
    label = "helpcentre"
    verbose_name = "Help for practices"
