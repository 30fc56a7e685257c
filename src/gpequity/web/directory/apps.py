from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "gpequity.web.directory"
    label = "directory"
    verbose_name = "Directory of local services"
