"""What an experiment showed: per arm, its visitors and how they behaved, against the control.

The unit is the visitor, the thing that was randomised: click-through is the share of an arm's
visitors who clicked one of its widgets, conversion the share who placed an order after they
were first exposed, revenue per visitor the mean over all of them (non-buyers count as 0), and
average order value the mean over their orders. Counting page views or impressions instead
would count one keen visitor many times and make intervals too narrow.

The control is the arm without a widget; without one, the first arm is the baseline. The
sample-ratio check compares the visitors per arm with the arms' shares; when it warns, the
assignment or the recording is broken and the differences are not to be trusted.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import models

from ..conf import crosssell_settings
from ..models import WidgetEvent
from . import stats
from .models import Arm, Experiment, ExperimentOrder, Participant

#: the report's figures: name -> whether it is a share of visitors (else a mean)
METRICS = {"ctr": True, "cart_add_rate": True, "conversion": True, "aov": False, "revenue_per_visitor": False}


def experiment_report(experiment: Experiment, confidence: float = 0.95) -> dict[str, Any]:
    """Return the experiment's report as plain JSON-ready data (see the module's docstring)."""
    arms = list(Arm.objects.filter(experiment=experiment).order_by("pk"))
    participants = defaultdict(list)
    for row in Participant.objects.filter(experiment=experiment).values("pk", "arm_id", "clicks", "cart_adds"):
        participants[row["arm_id"]].append(row)
    spent: dict[int, Decimal] = defaultdict(Decimal)
    order_values = defaultdict(list)
    for participant_id, arm_id, revenue in ExperimentOrder.objects.filter(
            participant__experiment=experiment).values_list("participant_id", "arm_id", "revenue"):
        spent[participant_id] += revenue
        order_values[arm_id].append(float(revenue))
    impressions = dict(WidgetEvent.objects.filter(arm__experiment=experiment, event=WidgetEvent.Event.IMPRESSION)
                       .values("arm_id").annotate(n=models.Count("pk")).values_list("arm_id", "n"))
    rate = float(crosssell_settings.IMPRESSION_SAMPLE_RATE or 0)

    samples: dict[int, dict[str, Any]] = {}
    for arm in arms:
        rows = participants[arm.pk]
        samples[arm.pk] = {
            "visitors": len(rows),
            "clicked": sum(1 for row in rows if row["clicks"]),
            "added": sum(1 for row in rows if row["cart_adds"]),
            "bought": sum(1 for row in rows if spent.get(row["pk"])),
            "per_visitor": np.array([float(spent.get(row["pk"], 0)) for row in rows]),
            "orders": np.array(order_values[arm.pk]),
            "clicks": sum(row["clicks"] for row in rows),
            "cart_adds": sum(row["cart_adds"] for row in rows),
        }

    control = next((arm for arm in arms if arm.is_control), arms[0] if arms else None)
    lines = []
    for arm in arms:
        sample = samples[arm.pk]
        figures = arm_figures(sample, confidence)
        line = {
            "id": arm.pk, "name": arm.name, "kind": arm.kind, "version": arm.version_id, "options": arm.options,
            "share": arm.share, "is_control": control is not None and arm.pk == control.pk,
            "visitors": sample["visitors"], "clicks": sample["clicks"], "cart_adds": sample["cart_adds"],
            "orders": int(sample["orders"].size), "revenue": float(sample["orders"].sum()),
            "estimated_impressions": round(impressions.get(arm.pk, 0) / rate) if rate > 0 else None,
            **{name: estimate.as_dict() for name, estimate in figures.items()},
            "difference": None,
        }
        if control is not None and arm.pk != control.pk:
            line["difference"] = {name: estimate.as_dict() for name, estimate
                                  in arm_differences(sample, samples[control.pk], confidence).items()}
        lines.append(line)

    warnings = []
    sample_ratio = None
    if len(arms) >= 2:
        check = stats.sample_ratio_check([samples[arm.pk]["visitors"] for arm in arms],
                                         [max(1, arm.share) for arm in arms])
        sample_ratio = check.as_dict()
        if check.mismatch:
            warnings.append(
                f"Sample ratio mismatch: the visitors per arm ({', '.join(map(str, check.observed))}) are unlikely "
                f"under the arms' shares (chi-square {check.chi_square:.1f}, p = {check.p_value:.2g}). "
                "Assignment or recording is broken; do not trust the differences.")
    return {
        "experiment": {
            "id": experiment.pk, "name": experiment.name, "status": experiment.status, "widgets": experiment.widgets,
            "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
            "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
            "winner": experiment.winner_id,
        },
        "confidence": confidence,
        "control": control.pk if control is not None else None,
        "arms": lines,
        "sample_ratio": sample_ratio,
        "warnings": warnings,
    }


def arm_figures(sample: dict[str, Any], confidence: float) -> dict[str, stats.Estimate]:
    """Return one arm's figures with their intervals, from its per-visitor counts.

    Public so that a replay of simulated visitors (``bench/traffic.py``) is scored by exactly the
    arithmetic the report shows.
    """
    visitors = sample["visitors"]
    return {
        "ctr": stats.proportion_interval(sample["clicked"], visitors, confidence),
        "cart_add_rate": stats.proportion_interval(sample["added"], visitors, confidence),
        "conversion": stats.proportion_interval(sample["bought"], visitors, confidence),
        "aov": stats.mean_interval(sample["orders"], confidence),
        "revenue_per_visitor": stats.mean_interval(sample["per_visitor"], confidence),
    }


def arm_differences(sample: dict[str, Any], control: dict[str, Any], confidence: float) -> dict[str, stats.Estimate]:
    """Return each figure's difference to the control arm, with its interval (see :func:`arm_figures`)."""
    return {
        "ctr": stats.proportion_difference(sample["clicked"], sample["visitors"], control["clicked"],
                                           control["visitors"], confidence),
        "cart_add_rate": stats.proportion_difference(sample["added"], sample["visitors"], control["added"],
                                                     control["visitors"], confidence),
        "conversion": stats.proportion_difference(sample["bought"], sample["visitors"], control["bought"],
                                                  control["visitors"], confidence),
        "aov": stats.mean_difference(sample["orders"], control["orders"], confidence),
        "revenue_per_visitor": stats.mean_difference(sample["per_visitor"], control["per_visitor"], confidence),
    }
