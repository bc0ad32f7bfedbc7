"""Every management command error is a ``CommandError`` with a message, never a traceback."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("args, message", [
    (["--user", "abc", "--by-id"], "--by-id.*abc"),
    (["--user", "99999999999999999999999", "--by-id"], "--by-id"),
    (["--user", "ali\x00ce"], "NUL"),
    (["--user", "nobody"], "No user 'nobody'"),
    ([], "Give --user, --customer-ref or --session-key"),
])
def test_forget_user_refuses_a_user_it_cannot_find_with_a_message(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("crosssell_forget_user", *args, stdout=StringIO())


def test_forget_user_by_id_still_finds_the_user(django_user_model):
    user = django_user_model.objects.create(username="alice")
    out = StringIO()
    call_command("crosssell_forget_user", "--user", str(user.pk), "--by-id", stdout=out)
    assert "Deleted" in out.getvalue()


@pytest.mark.parametrize("content, name, message", [
    (None, "missing.csv", "missing.csv"),
    (b"no,columns,here\n1,2,3\n", "other.csv", "other.csv"),
    (b"\x1f\x8b\x08\x00broken", "cut.csv.gz", "cut.csv.gz"),
])
def test_evaluate_refuses_a_file_it_cannot_read_with_a_message(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("crosssell_evaluate", csv=str(path), models="popularity", stdout=StringIO(), stderr=StringIO())


def test_evaluate_refuses_a_cut_date_that_is_no_date(tmp_path):
    with pytest.raises(CommandError, match="--cut-date"):
        call_command("crosssell_evaluate", csv=str(tmp_path / "x.csv"), cut_date="soon", models="popularity",
                     stdout=StringIO(), stderr=StringIO())
