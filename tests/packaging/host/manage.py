#!/usr/bin/env python
"""The host shop's manage.py: it runs from a copy of this folder, inside the test's virtualenv."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostshop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
