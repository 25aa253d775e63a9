from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payments.benefits.models import PolicyRuleSet
        from payments.benefits.selectors import forget_rule_sets
        from payments.settlement.audit import forget_rules
        from payments.settlement.models import AuditRule

        for signal in (post_save, post_delete):
            signal.connect(forget_rule_sets, sender=PolicyRuleSet, dispatch_uid=f"rule-sets-{signal}")
            signal.connect(forget_rules, sender=AuditRule, dispatch_uid=f"audit-rules-{signal}")
