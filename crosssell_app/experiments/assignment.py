"""Which arm a visitor is in: a stable hash of their visitor key, kept across sign-in.

A visitor's key is a random token kept in their session (``crosssell_visitor``). Django keeps a
session's data when its visitor signs in, so the key, and with it the arm, survives the sign-in;
:func:`adopt_visitor_on_sign_in` then stores it as the user's own key (a user who already has one
takes theirs back instead), so the same person lands in the same arm on every device. The arm
is ``sha256(salt:key)`` placed on the arms' cumulative shares: no table is read to assign, and
the same key always gives the same arm while the arms stay as they are.

The running experiments are read once per ``EXPERIMENT_CACHE_TIMEOUT`` seconds per process (and
again at once after an experiment or arm is saved in this process), so a widget of a shop with
no experiment pays one clock read, and one under an experiment a hash. A visitor's first
exposure to an experiment is written after the response, once (the session remembers it).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ..conf import crosssell_settings
from .models import Arm, Experiment, ExperimentOrder, ExperimentVisitor, Participant

logger = logging.getLogger(__name__)

#: the session entry holding the visitor's assignment key
VISITOR_SESSION_KEY = "crosssell_visitor"
#: the session entry listing ``"<experiment id>:<key>"`` of the experiments the visitor was counted in
EXPOSED_SESSION_KEY = "crosssell_exposed"


# --- the visitor -------------------------------------------------------------------------------
def visitor_key(request: Any) -> str | None:
    """Return the request's visitor key, making one when needed; None when it could not be kept.

    A visitor without a session and not signed in (a client without cookies, a request built
    outside the middleware) has no key that would survive to the next request: they are in no
    experiment and see the default widgets.
    """
    session = getattr(request, "session", None)
    if session is not None:
        key = session.get(VISITOR_SESSION_KEY)
        if key:
            return key
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        key = _user_key(user)
    elif session is not None:
        key = secrets.token_hex(16)
    else:
        return None
    if session is not None:
        session[VISITOR_SESSION_KEY] = key
    return key


def _user_key(user: Any, proposed: str = "") -> str:
    """Return the user's stored key, storing ``proposed`` (or a new one) when they have none."""
    key = ExperimentVisitor.objects.filter(user=user).values_list("key", flat=True).first()
    if key:
        return key
    key = proposed or secrets.token_hex(16)
    try:
        with transaction.atomic():
            ExperimentVisitor.objects.create(user=user, key=key)
    except IntegrityError:  # another request of the same user stored one first
        return ExperimentVisitor.objects.get(user=user).key
    return key


def adopt_visitor_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: keep one visitor key per person across sign-in and devices.

    The key the session had before signing in becomes the user's when they have none yet (they
    stay in the arm they saw); a user who already has a key takes it back, so a second device
    joins the arm of the first.
    """
    session = getattr(request, "session", None)
    if session is None or user is None or user.pk is None:
        return
    try:
        key = _user_key(user, session.get(VISITOR_SESSION_KEY) or "")
    except Exception:
        logger.warning("Could not keep the experiment visitor of user %s", user.pk, exc_info=True)
        return
    if session.get(VISITOR_SESSION_KEY) != key:
        session[VISITOR_SESSION_KEY] = key


def forget_visitor(sender: Any, tombstone: Any, **kwargs: Any) -> None:
    """``user_forgotten`` receiver: drop the forgotten user's key, so nothing links them to their arm."""
    if tombstone.user_id is not None:
        ExperimentVisitor.objects.filter(user_id=tombstone.user_id).delete()


# --- the arm -----------------------------------------------------------------------------------
def arm_for(experiment: Experiment, visitor_key: str) -> Arm:
    """Return the arm of ``experiment`` that ``visitor_key`` is in: the same one every time.

    The first 8 bytes of ``sha256(salt:key)`` are a number in [0, 2^64); the arms own slices of
    that range in proportion to their shares, in the order they were created.
    """
    arms, bounds = _arms_of(experiment)
    if not arms:
        raise ValueError(f"experiment {experiment.pk} has no arms")
    digest = hashlib.sha256(f"{experiment.salt}:{visitor_key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") * bounds[-1] >> 64
    return arms[bisect.bisect_right(bounds, point)]


def _arms_of(experiment: Experiment) -> tuple[list[Arm], list[int]]:
    cached = getattr(experiment, "_cs_arms", None)
    if cached is None:
        arms = list(experiment.arms.order_by("pk"))
        bounds, total = [], 0
        for arm in arms:
            total += max(1, arm.share)
            bounds.append(total)
        cached = experiment._cs_arms = (arms, bounds)
    return cached


@dataclass(frozen=True)
class _Running:
    experiments: tuple[Experiment, ...]
    expires: float


_running: _Running | None = None


def running_experiments() -> tuple[Experiment, ...]:
    """Return the running experiments with their arms, read at most once per ``EXPERIMENT_CACHE_TIMEOUT``."""
    global _running
    memo, now = _running, time.monotonic()
    if memo is not None and memo.expires > now:
        return memo.experiments
    experiments = tuple(Experiment.objects.filter(status=Experiment.Status.RUNNING).prefetch_related("arms")
                        .order_by("pk"))
    for experiment in experiments:
        _arms_of(experiment)
    _running = _Running(experiments, now + float(crosssell_settings.EXPERIMENT_CACHE_TIMEOUT))
    return experiments


def forget_running_experiments(**kwargs: Any) -> None:
    """Drop the remembered running experiments (an experiment or an arm was saved, or settings changed)."""
    global _running
    _running = None


def experiment_for(widget: str) -> Experiment | None:
    """Return the running experiment covering ``widget`` (the oldest, should two overlap), or None."""
    for experiment in running_experiments():
        if experiment.covers(widget) and _arms_of(experiment)[0]:
            return experiment
    return None


def arm_for_request(request: Any, widget: str, key: str | None = None) -> Arm | None:
    """Return the arm the request's visitor sees ``widget`` in, noting their exposure; None outside experiments.

    ``key`` names the visitor instead of the request's session or user: an API client serving
    its own shoppers passes each shopper's key. Such an exposure is written (once; a repeat is
    ignored by the database) after every response, since no session remembers it.
    """
    if request is None and key is None:
        return None
    experiment = experiment_for(widget)
    if experiment is None:
        return None
    session = getattr(request, "session", None) if key is None else None
    if key is None:
        key = visitor_key(request)
        if key is None:
            return None
    arm = arm_for(experiment, key)
    _note_exposure(session, experiment, arm, key)
    return arm


def _note_exposure(session: Any, experiment: Experiment, arm: Arm, key: str) -> None:
    """Queue the visitor's participant row the first time this session (if any) shows them the experiment."""
    mark = f"{experiment.pk}:{key}"
    if session is not None:
        seen = session.get(EXPOSED_SESSION_KEY) or []
        if mark in seen:
            return
        session[EXPOSED_SESSION_KEY] = [*seen[-20:], mark]
    _queue(Participant(experiment_id=experiment.pk, arm_id=arm.pk, visitor_key=key, first_seen=timezone.now()))


# Participants queued by the request this thread serves (as impressions are: serving/attribution).
_request_state = threading.local()


def _queue(participant: Participant) -> None:
    pending = getattr(_request_state, "participants", None)
    if pending is None:
        _store([participant])
    else:
        pending.append(participant)


def start_queueing_participants(**kwargs: Any) -> None:
    """``request_started`` receiver: queue this request's new participants."""
    write_pending_participants()
    _request_state.participants = []


def write_pending_participants(**kwargs: Any) -> None:
    """``request_finished`` receiver: store the request's new participants (a repeat is ignored)."""
    pending = getattr(_request_state, "participants", None)
    _request_state.participants = None
    if pending:
        _store(pending)


def _store(participants: list[Participant]) -> None:
    try:
        Participant.objects.bulk_create(participants, ignore_conflicts=True)
    except Exception:
        logger.warning("Could not store %d experiment participants", len(participants), exc_info=True)


def count_event(arm_id: int | None, key: str | None, field: str) -> None:
    """Add one to the participant's ``clicks`` or ``cart_adds`` in ``arm_id``'s experiment."""
    if arm_id is None or not key or field not in ("clicks", "cart_adds"):
        return
    Participant.objects.filter(arm_id=arm_id, visitor_key=key).update(**{field: models.F(field) + 1})


# --- orders ------------------------------------------------------------------------------------
def visitor_keys_of(user_id: Any, session_key: str) -> set[str]:
    """Return the visitor keys an order's user and session were known by."""
    keys: set[str] = set()
    if user_id is not None:
        keys.update(ExperimentVisitor.objects.filter(user_id=user_id).values_list("key", flat=True))
    if session_key:
        try:
            from importlib import import_module

            store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
            key = store.get(VISITOR_SESSION_KEY)
        except Exception:  # a host without sessions, or a session engine that cannot read this key
            key = None
        if key:
            keys.add(key)
    return keys


def record_experiment_order(sender: Any, order: Any, **kwargs: Any) -> None:
    """``order_recorded`` receiver: count the order in the arm of each experiment its visitor was in.

    Only orders placed at or after the visitor's first exposure count (an order placed before
    the visitor saw anything is no effect of the experiment), and only while it runs.
    """
    try:
        keys = visitor_keys_of(order.user_id, order.session_key)
        if not keys:
            return
        participants = list(Participant.objects.filter(
            visitor_key__in=keys, first_seen__lte=order.ordered_at,
            experiment__status=Experiment.Status.RUNNING))
        if not participants:
            return
        revenue = sum((line.quantity * line.unit_price for line in order.lines.all()), Decimal("0"))
        ExperimentOrder.objects.bulk_create(
            [ExperimentOrder(participant=participant, arm_id=participant.arm_id, order=order, revenue=revenue)
             for participant in participants], ignore_conflicts=True)
    except Exception:  # the shop's checkout must never fail on the experiment's bookkeeping
        logger.warning("Could not count order %s in its experiments", order.pk, exc_info=True)
