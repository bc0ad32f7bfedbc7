"""A visitor is put in one arm by a stable hash, in proportion to the shares, and keeps it across sign-in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import login
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from crosssell_app.experiments import lifecycle
from crosssell_app.experiments.assignment import arm_for, arm_for_request, visitor_key
from crosssell_app.models import Arm, ExperimentOrder, ExperimentVisitor, Participant
from crosssell_app.tracking.recording import record_order
from tests.factories import ItemFactory, UserFactory

from .conftest import make_experiment

pytestmark = pytest.mark.django_db

CONTROL, VERSION = Arm.Kind.CONTROL, Arm.Kind.VERSION


def browser_request(session: SessionStore | None = None, user=None):
    """A request with a database session (a new one unless given) and a user, as the middleware leaves it."""
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.session = session if session is not None else SessionStore()
    request.user = user if user is not None else AnonymousUser()
    return request


def test_the_same_visitor_always_gets_the_same_arm():
    experiment = make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    for key in ("alice", "bob", "carol", "0" * 32):
        arms = {arm_for(experiment, key).pk for _ in range(20)}
        assert len(arms) == 1


def test_each_experiment_splits_visitors_independently():
    """With its own salt, being in the first arm of one experiment says nothing about another."""
    first = make_experiment(("a", CONTROL, 1), ("b", VERSION, 1), widgets=["together"])
    second = make_experiment(("a", CONTROL, 1), ("b", VERSION, 1), widgets=["cart"], name="second")
    keys = [f"visitor-{i}" for i in range(4000)]
    same = sum(arm_for(first, key).name == arm_for(second, key).name for key in keys)
    assert abs(same / len(keys) - 0.5) < 0.04


@pytest.mark.parametrize("shares", [(1, 1), (3, 1), (1, 1, 2)])
def test_visitors_split_in_proportion_to_the_shares(shares):
    """20 000 visitors: each arm's fraction within 5 standard errors (at most 1.8 points) of its share."""
    arms = [(f"arm{i}", CONTROL if i == 0 else VERSION, share) for i, share in enumerate(shares)]
    experiment = make_experiment(*arms)
    n = 20_000
    counts = {}
    for i in range(n):
        name = arm_for(experiment, f"key-{i}").name
        counts[name] = counts.get(name, 0) + 1
    for (name, _kind, share) in arms:
        expected = share / sum(shares)
        assert abs(counts.get(name, 0) / n - expected) < 5 * (expected * (1 - expected) / n) ** 0.5


def test_a_visitor_keeps_the_arm_when_signing_in_and_on_another_device():
    experiment = make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    anonymous = browser_request()
    key = visitor_key(anonymous)
    arm = arm_for(experiment, key)
    anonymous.session.save()
    old_session_key = anonymous.session.session_key

    user = UserFactory()
    login(anonymous, user, backend="django.contrib.auth.backends.ModelBackend")
    assert anonymous.session.session_key != old_session_key, "Django gave the session a new key"
    assert visitor_key(anonymous) == key
    assert ExperimentVisitor.objects.get(user=user).key == key

    other_device = browser_request(user=user)
    assert visitor_key(other_device) == key
    assert arm_for(experiment, visitor_key(other_device)) == arm


def test_a_user_who_has_a_key_takes_it_back_when_signing_in_on_a_new_device():
    user = UserFactory()
    ExperimentVisitor.objects.create(user=user, key="the-users-key")
    fresh = browser_request()
    assert visitor_key(fresh) != "the-users-key"
    login(fresh, user, backend="django.contrib.auth.backends.ModelBackend")
    assert visitor_key(fresh) == "the-users-key"


def test_a_visitor_without_session_or_account_is_in_no_experiment():
    from django.contrib.auth.models import AnonymousUser

    make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert arm_for_request(request, "together") is None


def test_a_visitor_is_counted_once_however_many_widgets_they_see():
    make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    request = browser_request()
    arms = {arm_for_request(request, "together") for _ in range(5)}
    assert len(arms) == 1
    participant = Participant.objects.get()
    assert (participant.arm, participant.visitor_key) == (arms.pop(), visitor_key(request))


def test_an_experiment_covers_only_its_widgets():
    make_experiment(("control", CONTROL, 1), ("b", VERSION, 1), widgets=["cart"])
    assert arm_for_request(browser_request(), "together") is None
    assert arm_for_request(browser_request(), "cart") is not None


def test_a_stopped_experiment_assigns_nobody():
    experiment = make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    lifecycle.stop(experiment)
    assert arm_for_request(browser_request(), "together") is None


def test_an_experiment_needs_two_arms_and_its_own_widgets_to_start():
    with pytest.raises(ValidationError, match="two arms"):
        make_experiment(("only", VERSION, 1))
    make_experiment(("a", CONTROL, 1), ("b", VERSION, 1), widgets=["together"])
    with pytest.raises(ValidationError, match="already runs"):
        make_experiment(("a", CONTROL, 1), ("b", VERSION, 1), widgets=["together", "cart"], name="overlap")


def test_an_order_counts_in_the_arm_of_the_visitor_who_placed_it(django_capture_on_commit_callbacks):
    make_experiment(("control", CONTROL, 1), ("b", VERSION, 1))
    request = browser_request()
    arm = arm_for_request(request, "together")
    request.session.save()
    mug, plate = ItemFactory(), ItemFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_order("A-1", [(mug, 2, Decimal("4.00")), (plate, 1, Decimal("2.50"))],
                     session_key=request.session.session_key)
    counted = ExperimentOrder.objects.get()
    assert (counted.arm, counted.revenue) == (arm, Decimal("10.50"))
    with django_capture_on_commit_callbacks(execute=True):
        record_order("A-2", [(mug, 1, Decimal("4.00"))], session_key="somebody-else")
    assert ExperimentOrder.objects.count() == 1


def test_forgetting_a_user_drops_their_visitor_key(django_capture_on_commit_callbacks):
    from crosssell_app.tracking.recording import forget_user

    user = UserFactory()
    visitor_key(browser_request(user=user))
    with django_capture_on_commit_callbacks(execute=True):
        forget_user(user)
    assert not ExperimentVisitor.objects.filter(user=user).exists()


def test_an_experiment_on_a_widget_that_does_not_exist_does_not_start():
    with pytest.raises(ValidationError, match="No widget is called togther"):
        make_experiment(("a", CONTROL, 1), ("b", VERSION, 1), widgets=["togther"])
