from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gpequity.web.accounts"
    label = "accounts"
    verbose_name = "Your account: API tokens and reminders"
