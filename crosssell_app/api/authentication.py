"""HTTP Basic authentication that refuses a NUL byte in the credentials.

No username or password holds a NUL byte, and PostgreSQL cannot compare text that does: DRF's
``BasicAuthentication`` would hand it to ``authenticate()``, whose user lookup raises
``DataError`` (a 500). This subclass answers as for any wrong password instead. The API's views
use it wherever the host's ``DEFAULT_AUTHENTICATION_CLASSES`` name DRF's own class (the default);
a host with its own Basic subclass can inherit from this one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed


class NulSafeBasicAuthentication(BasicAuthentication):
    """DRF's Basic authentication; credentials holding a NUL byte fail like a wrong password."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise AuthenticationFailed(_("Invalid username/password."))
        return super().authenticate_credentials(userid, password, request)
