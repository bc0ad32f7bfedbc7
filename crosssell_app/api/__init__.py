"""The REST API (Django REST framework): lists, tracking, training runs. Needs the ``api`` extra."""
