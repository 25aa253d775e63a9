from django import template

from portal.dashboards.registry import areas_for

register = template.Library()


@register.simple_tag
def dashboards_for(user: object) -> list[tuple[str, str]]:
    """(slug, title) of the dashboards ``user`` may open, for the admin index."""
    return [(area.slug, area.title.localized()) for area in areas_for(user)]
