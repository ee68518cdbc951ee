import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client

from logging_app.roles import SUPPORT_HIDDEN_MODELS


def _create(*args: str) -> tuple[str, str]:
    """Run the command; return what it printed on standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    call_command("create_console_user", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _can_sign_in(username: str, password: str) -> bool:
    """Sign in through the console's sign-in page, as a person would."""
    client = Client()
    client.post("/login/", {"username": username, "password": password})
    return client.get("/").wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_it_creates_an_admin_who_signs_in_with_the_printed_password() -> None:
    password, messages = _create("alice", "--role", "admin")

    user = User.objects.get(username="alice")
    assert user.is_staff
    assert user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Administrators"]
    assert len(password) >= 20
    assert "shown this once" in messages
    assert _can_sign_in("alice", password)


@pytest.mark.django_db
def test_it_gives_support_view_permissions_but_not_staff() -> None:
    password, _ = _create("bob", "--role", "support", "--email", "bob@example.com")

    user = User.objects.get(username="bob")
    assert not user.is_staff
    assert not user.is_superuser
    assert user.email == "bob@example.com"
    assert list(user.groups.values_list("name", flat=True)) == ["Support"]
    for model in apps.get_app_config("logging_app").get_models():
        opts = model._meta
        can_view = user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        assert can_view == (opts.model_name not in SUPPORT_HIDDEN_MODELS)
        assert not user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        assert not user.has_perm(f"{opts.app_label}.add_{opts.model_name}")
        assert not user.has_perm(f"{opts.app_label}.delete_{opts.model_name}")
    assert _can_sign_in("bob", password)


@pytest.mark.django_db
def test_it_keeps_the_password_of_an_existing_user() -> None:
    password, _ = _create("carol", "--role", "admin")

    output, messages = _create("carol", "--role", "support")

    assert output == ""
    assert "password was left unchanged" in messages
    assert "--reset-password" in messages
    user = User.objects.get(username="carol")
    assert not user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Support"]
    assert _can_sign_in("carol", password)


@pytest.mark.django_db
def test_it_resets_the_password_when_asked() -> None:
    old_password, _ = _create("dave", "--role", "admin")

    new_password, _ = _create("dave", "--role", "admin", "--reset-password")

    assert new_password
    assert new_password != old_password
    assert not _can_sign_in("dave", old_password)
    assert _can_sign_in("dave", new_password)


@pytest.mark.django_db
def test_it_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase of words\n"))

    output, _ = _create("erin", "--role", "support", "--password-stdin")

    assert output == ""
    assert _can_sign_in("erin", "a long passphrase of words")


@pytest.mark.django_db
def test_it_refuses_a_weak_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))

    with pytest.raises(CommandError, match="too common"):
        _create("frank", "--role", "support", "--password-stdin")
    assert not User.objects.filter(username="frank").exists()


@pytest.mark.django_db
def test_it_refuses_a_new_password_without_reset_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password, _ = _create("grace", "--role", "admin")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase of words\n"))

    with pytest.raises(CommandError, match="--reset-password"):
        _create("grace", "--role", "admin", "--password-stdin")
    assert _can_sign_in("grace", password)


@pytest.mark.django_db
def test_it_rejects_a_bad_role() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        _create("heidi", "--role", "root")
    assert not User.objects.filter(username="heidi").exists()


@pytest.mark.django_db
def test_it_leaves_other_groups_alone() -> None:
    _create("ivan", "--role", "support")
    auditors = Group.objects.create(name="Auditors")
    User.objects.get(username="ivan").groups.add(auditors)

    _create("ivan", "--role", "admin")

    names = set(User.objects.get(username="ivan").groups.values_list("name", flat=True))
    assert names == {"Administrators", "Auditors"}
