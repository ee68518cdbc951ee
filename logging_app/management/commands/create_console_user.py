import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from logging_app.roles import ROLE_GROUPS, roles_sync


def _role_group(role: str) -> Group:
    """The role's group, made with its permissions when it is missing (e.g. in a test)."""
    name = ROLE_GROUPS[role]
    if not Group.objects.filter(name=name).exists():
        roles_sync()
    return Group.objects.get(name=name)


def console_user_save(
    *, username: str, role: str, email: str | None, password: str | None, reset_password: bool
) -> tuple[AbstractUser, bool, str | None]:
    """Create or update a console user with `role`.

    Returns the user, whether it was created, and the password that was set (None when
    an existing user's password was left as it was).
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if created:
        try:
            username = user_model._meta.get_field("username").clean(username, None)
        except ValidationError as error:
            raise CommandError(f"Bad username {username!r}: {' '.join(error.messages)}") from None
        user = user_model(username=username)
    elif password is not None and not reset_password:
        raise CommandError(
            f"User {username!r} exists already; add --reset-password to change its password."
        )

    if email is not None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Bad e-mail address {email!r}.") from None
        user.email = email
    user.is_active = True
    user.is_staff = user.is_superuser = role == "admin"

    new_password = None
    if created or reset_password:
        if password is None:
            new_password = secrets.token_urlsafe(18)
        else:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            new_password = password
        user.set_password(new_password)

    with transaction.atomic():
        user.save()
        # Only the console's two role groups are touched; other groups are left alone.
        user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
        user.groups.add(_role_group(role))
    return user, created, new_password


class Command(BaseCommand):
    help = (
        "Create or update a console user. A generated password is printed once on standard "
        "output; an existing user keeps its password unless --reset-password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            required=True,
            choices=ROLE_GROUPS,
            help="admin (everything, admin site included) or support (read-only).",
        )
        parser.add_argument("--email", help="The user's e-mail address.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of generating one.",
        )
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give an existing user a new password (generated, or from --password-stdin).",
        )

    def handle(
        self,
        *args,
        username: str,
        role: str,
        email: str | None,
        password_stdin: bool,
        reset_password: bool,
        **options,
    ) -> None:
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")

        user, created, new_password = console_user_save(
            username=username,
            role=role,
            email=email,
            password=password,
            reset_password=reset_password,
        )

        what = "Created" if created else "Updated"
        self.stderr.write(f"{what} console user {user.username!r} with role {role}.")
        if new_password is None:
            self.stderr.write(
                "Its password was left unchanged. To set a new one: "
                f"manage.py create_console_user {user.username} --role {role} --reset-password"
            )
        elif password is None:
            # Only the password goes to standard output, so that scripts can capture it.
            self.stderr.write("Its password is shown this once; store it now:")
            self.stdout.write(new_password)
        else:
            self.stderr.write("Its password was set from standard input.")
