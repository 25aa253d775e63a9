from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Staff dashboards at /admin/dashboards/: the figures the bulletins report, per area."""

    name = "portal.dashboards"
    label = "dashboards"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin index lists the dashboards the user may open above the apps (one template, extending
        # the admin's own).
        admin.site.index_template = "dashboards/admin_index.html"
