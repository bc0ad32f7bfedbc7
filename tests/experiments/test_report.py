"""The report per arm: visitors, rates and means with intervals, differences to the control, the ratio check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crosssell_app.experiments.report import experiment_report
from crosssell_app.models import Arm, ExperimentOrder, Order, Participant

from .conftest import make_experiment

pytestmark = pytest.mark.django_db


def populate(arm: Arm, visitors: int, *, buyers: int = 0, clickers: int = 0, order_value: str = "10.00") -> None:
    """``visitors`` participants of ``arm``; the first ``clickers`` clicked, the first ``buyers`` bought once."""
    Participant.objects.bulk_create(
        Participant(experiment_id=arm.experiment_id, arm=arm, visitor_key=f"{arm.pk}-{i}", clicks=int(i < clickers))
        for i in range(visitors))
    participants = list(Participant.objects.filter(arm=arm).order_by("pk")[:buyers])
    orders = Order.objects.bulk_create(Order(external_id=f"{arm.pk}-order-{i}") for i in range(buyers))
    ExperimentOrder.objects.bulk_create(
        ExperimentOrder(participant=participant, arm=arm, order=order, revenue=Decimal(order_value))
        for participant, order in zip(participants, orders))


def arms_by_name(report: dict) -> dict[str, dict]:
    return {arm["name"]: arm for arm in report["arms"]}


def test_each_arm_reports_its_visitors_rates_and_money_against_the_control():
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("widget", Arm.Kind.VERSION, 1))
    control, widget = experiment.arms.order_by("pk")
    populate(control, 1000, buyers=50)
    populate(widget, 1000, buyers=80, clickers=200)

    report = experiment_report(experiment)
    arms = arms_by_name(report)
    assert report["control"] == control.pk and arms["control"]["is_control"]
    assert (arms["widget"]["visitors"], arms["widget"]["orders"], arms["widget"]["revenue"]) == (1000, 80, 800.0)
    assert arms["widget"]["conversion"]["value"] == pytest.approx(0.08)
    assert arms["widget"]["ctr"]["value"] == pytest.approx(0.2) and arms["control"]["ctr"]["value"] == 0
    assert arms["widget"]["revenue_per_visitor"]["value"] == pytest.approx(0.8)
    assert arms["widget"]["aov"]["value"] == pytest.approx(10.0)
    # 8 % against 5 %: Newcombe's interval from the two Wilson intervals (checked against his
    # published examples in test_stats.py): 0.03 in (0.0084, 0.0520)
    conversion = arms["widget"]["difference"]["conversion"]
    assert conversion["value"] == pytest.approx(0.03)
    assert (conversion["low"], conversion["high"]) == pytest.approx((0.00839, 0.05195), abs=1e-4)
    assert arms["widget"]["difference"]["revenue_per_visitor"]["value"] == pytest.approx(0.3)
    assert arms["control"]["difference"] is None
    assert report["warnings"] == [] and not report["sample_ratio"]["mismatch"]


def test_a_lopsided_split_warns_of_a_sample_ratio_mismatch():
    """1000 against 800 visitors under equal shares: chi-square 22.2, p = 2.4e-6."""
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("widget", Arm.Kind.VERSION, 1))
    control, widget = experiment.arms.order_by("pk")
    populate(control, 1000)
    populate(widget, 800)
    report = experiment_report(experiment)
    assert report["sample_ratio"]["mismatch"]
    assert report["sample_ratio"]["chi_square"] == pytest.approx(22.22, abs=0.01)
    assert "Sample ratio mismatch" in report["warnings"][0]


def test_an_experiment_nobody_saw_reports_no_figures():
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("widget", Arm.Kind.VERSION, 1))
    report = experiment_report(experiment)
    assert [arm["visitors"] for arm in report["arms"]] == [0, 0]
    assert report["arms"][1]["conversion"] == {"value": None, "low": None, "high": None}
    assert report["warnings"] == []
