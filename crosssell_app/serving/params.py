"""Parse what callers hand to serving: product ids and list lengths.

Tags, the click view and the API all take ids and limits from untrusted text (a template
variable, a URL, a JSON body). Parsing them in one place means a malformed id is refused the
same way everywhere, before it can reach the database as an out-of-range integer.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..conf import crosssell_settings
from ..products import get_product_model


def parse_product_pk(raw: Any) -> Any:
    """Return ``raw`` as a primary key of the product model; raise ``ValidationError`` if it is not one."""
    return parse_pk(get_product_model(), raw, _("product id"))


def parse_pk(model, raw: Any, what: str) -> Any:
    """Return ``raw`` as a primary key of ``model``; raise ``ValidationError`` if it is not one.

    The pk field's own ``to_python`` and validators decide, so an integer pk refuses ``"abc"`` and
    a number beyond the database's integer range, and a UUID pk refuses a malformed UUID.
    """
    if isinstance(raw, model):
        return raw.pk
    if raw is None or raw == "" or isinstance(raw, (bool, dict, list)):
        raise ValidationError(_("A valid %(what)s is required.") % {"what": what}, code="invalid")
    field = model._meta.pk
    try:
        value = field.to_python(raw)
        field.run_validators(value)
    except (ValidationError, TypeError, ValueError):
        raise ValidationError(_("%(value)r is not a valid %(what)s.") % {"value": raw, "what": what}, code="invalid")
    return value


def clamp_limit(raw: Any, default: int) -> int:
    """Return ``raw`` as a list length between 1 and ``MAX_LIMIT``; raise ``ValidationError`` if not a number."""
    if raw is None or raw == "":
        value = default
    else:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(_("limit must be a whole number."), code="invalid")
    return max(1, min(value, int(crosssell_settings.MAX_LIMIT)))
