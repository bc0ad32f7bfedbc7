"""``manage.py crosssell_forget_user``: delete a person's tracked events and personal picks, and record the forget.

The record (a :class:`~crosssell_app.models.Tombstone`) keeps a retrain running now from
publishing the person's list again; see ``docs/operations.md``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crosssell_app.serving.params import parse_pk
from crosssell_app.tracking.recording import forget_user


class Command(BaseCommand):
    help = ("Delete every view, order, widget event and personal recommendation of a user, customer or session, "
            "and record the forget so that no retrain running now publishes them again.")

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username (or primary key with --by-id)")
        parser.add_argument("--by-id", action="store_true", help="--user is a primary key")
        parser.add_argument("--customer-ref", default="", help="customer reference of imported history")
        parser.add_argument("--session-key", default="", help="session key of a visitor who never signed in")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            User = get_user_model()
            if "\x00" in options["user"]:
                raise CommandError(f"No user {options['user']!r}: a name cannot hold a NUL byte.")
            if options["by_id"]:
                try:
                    lookup = {"pk": parse_pk(User, options["user"], "user id")}
                except ValidationError as exc:
                    raise CommandError(f"--by-id: {' '.join(exc.messages)}") from exc
            else:
                lookup = {User.USERNAME_FIELD: options["user"]}
            user = User._default_manager.filter(**lookup).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        if user is None and not options["customer_ref"] and not options["session_key"]:
            raise CommandError("Give --user, --customer-ref or --session-key.")
        try:
            deleted = forget_user(user, customer_ref=options["customer_ref"], session_key=options["session_key"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(deleted.values())
        self.stdout.write(f"Deleted {total} rows." + "".join(f"\n  {n:>7}  {label}" for label, n in sorted(deleted.items())))
