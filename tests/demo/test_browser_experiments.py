"""An experiment in a real headless Chromium: a shopper's bundle checkout is attributed to the widget, its arm
and its version, and the owner reads the experiment's report with its chart (screenshot for a person to judge).

The report's other visitors are written straight to the tables (a thousand per arm, with
made-up behaviour) so the chart has something to show; the shopper's journey is the browser's own.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from crosssell_app.experiments import lifecycle
from crosssell_app.models import ActiveVersion, Arm, Experiment, ExperimentOrder, Order, Participant
from tests.demo.browser import screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: where the report's screenshot is also written, outside the repository
REPORT_PNG = Path(os.environ.get("CROSSSELL_REPORT_SCREENSHOT", "/tmp/crosssell_experiment_report.png"))


@pytest.fixture
def experiment(published):
    experiment = Experiment.objects.create(name="Bundle widget against none", widgets=["together", "upgrade"])
    Arm.objects.create(experiment=experiment, name="no widget", kind=Arm.Kind.CONTROL)
    Arm.objects.create(experiment=experiment, name="active version", kind=Arm.Kind.VERSION,
                       version_id=ActiveVersion.objects.current_id())
    return lifecycle.start(experiment)


def shopper_in_the_widget_arm(open_page, product_path: str):
    """Open fresh browsers (a new visitor each) until one is shown the bundle: that one is in the widget arm."""
    for _ in range(30):
        page = open_page()
        page.goto(product_path)
        if page.locator('[data-crosssell-widget="together"]').count():
            return page
    raise AssertionError("30 visitors in a row were put in the control arm")


def test_a_bundle_checkout_in_the_browser_is_attributed_to_its_widget_arm_and_version(
        published, experiment, open_page, admin_user):
    stand = published[0]
    page = shopper_in_the_widget_arm(open_page, f"/products/{stand.pk}/")
    together = page.locator('[data-crosssell-widget="together"]')
    bundle_ids = {int(box.get_attribute("value")) for box in together.get_by_role("checkbox").all()}
    together.get_by_role("button", name="Add selected to cart").click()
    page.get_by_role("heading", level=1, name="Your cart").wait_for()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail for the receipt").fill("shopper@example.com")
    page.get_by_role("button", name="Place order").click()
    number = page.locator("#order-number").inner_text()

    order = Order.objects.get(external_id=number)
    arm = experiment.arms.get(name="active version")
    lines = {line.product_id: line for line in order.lines.all()}
    assert set(lines) == bundle_ids
    picks = bundle_ids - {stand.pk}
    assert picks, "the bundle held at least one recommended product"
    for pk in picks:
        assert (lines[pk].attributed_widget, lines[pk].attributed_arm, lines[pk].attributed_version) == (
            "together", arm, ActiveVersion.objects.current_id())
    assert ExperimentOrder.objects.get(order=order).arm == arm

    populate_report(experiment)
    owner = open_page(width=1280, height=900)
    owner.goto("/admin/login/?next=/admin/")
    owner.get_by_label("Username").fill(admin_user.username)
    owner.get_by_label("Password").fill("password")
    owner.get_by_role("button", name="Log in").click()
    owner.get_by_role("link", name="Experiments").first.click()
    owner.get_by_role("link", name="Report").click()
    owner.get_by_role("heading", name=f"Report: {experiment.name}").wait_for()
    charts = owner.locator("svg.cs-chart")
    assert charts.count() == 3
    assert charts.first.bounding_box()["height"] > 40, "the chart is drawn, not collapsed"
    assert owner.locator("#experiment-report tbody tr").count() == 2
    screenshot(owner, "experiment_report")
    owner.screenshot(path=str(REPORT_PNG), full_page=True)


def populate_report(experiment) -> None:
    """A thousand more visitors per arm: 3 % of the control and 4.5 % of the widget arm order (made up)."""
    control, widgets = experiment.arms.order_by("pk")
    for arm, buyers, clickers in ((control, 30, 0), (widgets, 45, 240)):
        Participant.objects.bulk_create(
            Participant(experiment=experiment, arm=arm, visitor_key=f"sim-{arm.pk}-{i}", clicks=int(i < clickers))
            for i in range(1000))
        participants = list(Participant.objects.filter(arm=arm, visitor_key__startswith="sim-").order_by("pk")[:buyers])
        orders = Order.objects.bulk_create(Order(external_id=f"sim-{arm.pk}-{i}") for i in range(buyers))
        ExperimentOrder.objects.bulk_create(
            ExperimentOrder(participant=participant, arm=arm, order=order,
                            revenue=Decimal(18 + (i * 7) % 25) + (Decimal(6) if arm == widgets else 0))
            for i, (participant, order) in enumerate(zip(participants, orders)))
