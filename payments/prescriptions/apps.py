from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    """Electronic prescriptions (电子处方流转) and recorded paper ones, with their uses at pharmacies."""

    name = "payments.prescriptions"
    label = "prescriptions"
    default_auto_field = "django.db.models.BigAutoField"
