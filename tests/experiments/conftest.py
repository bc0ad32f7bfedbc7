"""Experiments as the admin sets them up: arms with shares, started."""

from __future__ import annotations

from crosssell_app.experiments import lifecycle
from crosssell_app.models import Arm, Experiment


def make_experiment(*arms: tuple[str, str, int], widgets=(), start: bool = True, **fields) -> Experiment:
    """Create an experiment with ``(name, kind, share)`` arms, started unless ``start=False``."""
    experiment = Experiment.objects.create(name=fields.pop("name", "test"), widgets=list(widgets), **fields)
    for name, kind, share in arms:
        Arm.objects.create(experiment=experiment, name=name, kind=kind, share=share)
    return lifecycle.start(experiment) if start else experiment
