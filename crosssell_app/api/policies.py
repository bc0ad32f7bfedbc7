"""Permission and throttle classes of the API, read from the ``CROSSSELL`` setting on each request.

DRF reads ``permission_classes`` when a view class is defined; reading the import strings at
request time instead lets a host (and ``override_settings`` in tests) change them at any moment.
"""

from __future__ import annotations

import functools

from django.utils.module_loading import import_string as _import_string

from ..conf import crosssell_settings

#: the import strings are read on each request; importing each one is done once
import_string = functools.lru_cache(maxsize=64)(_import_string)


class SettingsPolicyMixin:
    """Take permission classes from the setting named by ``permission_setting`` and throttles from settings."""

    permission_setting = "API_PERMISSION_CLASSES"

    def get_permissions(self):
        return [import_string(path)() for path in getattr(crosssell_settings, self.permission_setting)]

    def get_throttles(self):
        return [import_string(path)() for path in crosssell_settings.API_THROTTLE_CLASSES]
