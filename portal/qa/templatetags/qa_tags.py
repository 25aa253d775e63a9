from django import template

from portal.errors import Bilingual

register = template.Library()


@register.simple_tag
def bi(zh: str, en: str) -> str:
    """``{% bi "中文" "English" %}``: the text in the request's language."""
    return Bilingual(zh, en).localized()


@register.filter
def places(names: list[str] | tuple[str, ...]) -> str:
    """Region names joined in the request's language: "淮北市、马鞍山市" / "Huaibei, Ma'anshan"."""
    from portal import divisions

    return divisions.join_names(names)
