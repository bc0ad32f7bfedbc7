"""Experiments: visitors split over arms (a version, a configuration, or no widget) and the report per arm.

``models`` holds the tables (imported by :mod:`crosssell_app.models`), ``assignment`` puts a
visitor in an arm, ``stats`` and ``report`` say what the arms did. Serving imports ``assignment``
only; ``stats`` (SciPy) is loaded by the report alone.
"""
