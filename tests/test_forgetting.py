"""Forgetting a person: the forget is recorded, reaches what they did before signing in, and sticks.

The publish side (a retrain that read its data before the forget) is in
``tests/training/test_forgetting.py``; cached lists in ``tests/api/test_forgetting.py``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crosssell_app.models import Order, ProductView, Tombstone, WidgetEvent
from crosssell_app.tracking.recording import OrderRefused, forget_user, record_order, record_view
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_forget_is_recorded_with_who_and_when_and_nothing_else():
    alice = UserFactory()
    before = timezone.now()
    forget_user(alice, customer_ref="C-17", session_key="s3cr3t-session")
    tombstone = Tombstone.objects.get()
    assert (tombstone.user_id, tombstone.customer_ref) == (alice.pk, "C-17")
    assert tombstone.session_digest == hashlib.sha256(b"s3cr3t-session").hexdigest()  # not the key itself
    assert tombstone.forgotten_at >= before
    stored = {field.name for field in Tombstone._meta.concrete_fields}
    assert stored == {"id", "user", "customer_ref", "session_digest", "forgotten_at"}


def test_a_tombstone_outlives_the_user_it_names():
    alice = UserFactory()
    forget_user(alice)
    alice_pk = alice.pk
    alice.delete()
    assert Tombstone.objects.filter(user_id=alice_pk).exists()


def test_deleting_a_user_records_a_tombstone_too():
    """Deleting the account forgets them through the cascades; a retrain running then must not republish them."""
    alice = UserFactory()
    alice_pk = alice.pk
    alice.delete()
    assert list(Tombstone.objects.values_list("user_id", flat=True)) == [alice_pk]


def test_views_made_before_signing_in_are_the_users_after_it(client):
    """Django gives a session a new key at sign-in; the app links the events of the old key to the user."""
    alice, mug, plate = UserFactory(), ItemFactory(), ItemFactory()
    assert client.get(f"/items/{mug.pk}/").status_code == 200
    anonymous_key = ProductView.objects.get().session_key
    client.force_login(alice)
    assert client.session.session_key != anonymous_key
    client.get(f"/items/{plate.pk}/")
    assert set(ProductView.objects.values_list("product_id", "user_id")) == {(mug.pk, alice.pk), (plate.pk, alice.pk)}


def test_a_forget_reaches_the_views_made_before_signing_in(client):
    alice, bob, mug = UserFactory(), UserFactory(), ItemFactory()
    client.get(f"/items/{mug.pk}/")
    client.force_login(alice)
    record_view(mug, user=bob)
    forget_user(alice)
    assert list(ProductView.objects.values_list("user_id", flat=True)) == [bob.pk]


def test_signing_in_as_someone_else_in_the_same_browser_links_nothing_of_the_first_user(client):
    alice, bob, mug = UserFactory(), UserFactory(), ItemFactory()
    client.force_login(alice)
    client.get(f"/items/{mug.pk}/")
    client.force_login(bob)  # Django flushes the session: nothing anonymous to link
    assert list(ProductView.objects.values_list("user_id", flat=True)) == [alice.pk]


def test_a_forget_deletes_what_was_recorded_under_the_sessions_the_user_signed_in_with():
    """Events the host recorded with only the session key of a signed-in visit are theirs too."""
    alice, mug = UserFactory(), ItemFactory()
    record_view(mug, user=alice, session_key="alice-session")
    record_view(mug, session_key="alice-session")
    record_order("O-1", [(mug, 1, 2)], session_key="alice-session")
    WidgetEvent.objects.create(event="click", widget="together", target=mug, session_key="alice-session")
    record_view(mug, session_key="someone-else")
    forget_user(alice)
    assert list(ProductView.objects.values_list("session_key", flat=True)) == ["someone-else"]
    assert not Order.objects.exists() and not WidgetEvent.objects.exists()


@pytest.mark.parametrize("who", ["user", "customer_ref"])
def test_an_order_of_a_forgotten_person_dated_before_the_forget_is_refused(who):
    """Recording history again (a replayed feed) must not bring a forgotten person back."""
    alice, mug = UserFactory(), ItemFactory()
    forget_user(alice, customer_ref="C-17")
    given = {"user": alice} if who == "user" else {"customer_ref": "C-17"}
    with pytest.raises(OrderRefused, match="forgotten") as refused:
        record_order("OLD-1", [(mug, 1, 2)], ordered_at=timezone.now() - timedelta(days=3), **given)
    assert refused.value.field == who
    assert not Order.objects.exists()


def test_a_reimported_history_file_leaves_out_the_orders_of_a_forgotten_customer(tmp_path):
    ItemFactory(code="71053")
    csv = tmp_path / "history.csv"
    csv.write_text("InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
                   "A-1,71053,1,2024-01-02 10:00,2.50,C-17\n"
                   "A-2,71053,1,2024-01-03 10:00,2.50,C-18\n")
    call_command("crosssell_import_orders", str(csv), "--no-progress", stdout=StringIO())
    forget_user(customer_ref="C-17")
    assert list(Order.objects.values_list("external_id", flat=True)) == ["A-2"]
    out = StringIO()
    call_command("crosssell_import_orders", str(csv), "--no-progress", stdout=out)
    assert list(Order.objects.values_list("external_id", flat=True)) == ["A-2"]
    assert "1  customer forgotten after this order" in out.getvalue()


def test_a_forgotten_user_who_comes_back_is_recorded_again():
    alice, mug = UserFactory(), ItemFactory()
    forget_user(alice)
    order, created = record_order("NEW-1", [(mug, 1, 2)], user=alice)
    assert created and order.user == alice


def test_the_command_forgets_a_session_key_too():
    mug = ItemFactory()
    record_view(mug, session_key="abc")
    out = StringIO()
    call_command("crosssell_forget_user", "--session-key", "abc", stdout=out)
    assert not ProductView.objects.exists()
    assert Tombstone.objects.get().session_digest == hashlib.sha256(b"abc").hexdigest()
    assert "Deleted 1 rows" in out.getvalue()


@pytest.mark.parametrize("args", [["--customer-ref", "C\x0017"], ["--customer-ref", "C" * 65],
                                  ["--session-key", "a\x00b"]])
def test_the_command_refuses_what_no_row_could_hold_with_a_message(args):
    with pytest.raises(CommandError, match="Cannot forget"):
        call_command("crosssell_forget_user", *args, stdout=StringIO())
    assert not Tombstone.objects.exists()
