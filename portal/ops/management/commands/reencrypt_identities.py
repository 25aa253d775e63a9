from typing import Any

from django.core.management.base import BaseCommand
from django.db import models, transaction

from portal import crypto

# (model path, encrypted field, encryption context)
ENCRYPTED = [
    ("people.Person", "id_number_encrypted", "person.id_number"),
    ("institutions.Terminal", "secret_encrypted", "terminal.secret"),
    ("vouchers.SigningKey", "private_key_encrypted", "voucher.signing_key"),
    ("payments.HospitalEndpoint", "secret_encrypted", "hospital.notify_secret"),
]


class Command(BaseCommand):
    help = (
        "After putting a new key first in IDENTITY_ENCRYPTION_KEYS, re-encrypt every field still under an "
        "older key (identity numbers, terminal and hospital secrets, voucher signing keys). Safe to re-run."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.apps import apps

        for path, field, context in ENCRYPTED:
            model: type[models.Model] = apps.get_model(path)
            rows = model._default_manager.only("pk", field).order_by("pk")
            total = rows.count()
            done = 0
            for start in range(0, total, options["batch"]):
                with transaction.atomic():
                    for row in rows[start : start + options["batch"]]:
                        token = getattr(row, field)
                        if token and crypto.needs_reencryption(token):
                            plain = crypto.decrypt(token, context=context)
                            model._default_manager.filter(pk=row.pk).update(
                                **{field: crypto.encrypt(plain, context=context)}
                            )
                            done += 1
                self.stdout.write(f"  {path}: {min(start + options['batch'], total)}/{total} checked")
            self.stdout.write(self.style.SUCCESS(f"{path}.{field}: {done} re-encrypted"))
