"""``host/`` is a Django project of its own, run in a fresh virtualenv: never collect or import it here."""

collect_ignore = ["host"]
