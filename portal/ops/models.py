"""Operations records: the results of the nightly invariant check."""

from __future__ import annotations

from django.db import models


class InvariantRun(models.Model):
    """One run of ``check_invariants`` (nightly by beat, or by hand with ``--record``)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    violations = models.PositiveIntegerField(help_text="Violations found, over every check.")
    results = models.JSONField(help_text="Per check: name, rows checked, violations and the first of them.")

    class Meta:
        ordering = ["-id"]
        verbose_name = "不变量检查 / invariant check"

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else f'{self.violations} violations'}"
