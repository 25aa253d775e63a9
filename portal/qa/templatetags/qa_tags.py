from django import template

from portal.errors import Bilingual

register = template.Library()


@register.simple_tag
def bi(zh: str, en: str) -> str:
    """``{% bi "中文" "English" %}``: the text in the request's language."""
    return Bilingual(zh, en).localized()
