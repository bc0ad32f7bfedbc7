"""Permission and throttle classes of the API, read from the ``CROSSSELL`` setting on each request.

DRF reads ``permission_classes`` when a view class is defined; reading the setting at request
time instead lets a host (and ``override_settings`` in tests) change them at any moment.
:mod:`crosssell_app.conf` imports the dotted paths, once until the settings change.
"""

from __future__ import annotations

from ..conf import crosssell_settings


class SettingsPolicyMixin:
    """Take permission classes from the setting named by ``permission_setting`` and throttles from settings."""

    permission_setting = "API_PERMISSION_CLASSES"

    def get_permissions(self):
        return [permission() for permission in getattr(crosssell_settings, self.permission_setting)]

    def get_throttles(self):
        return [throttle() for throttle in crosssell_settings.API_THROTTLE_CLASSES]
