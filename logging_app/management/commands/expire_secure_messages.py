"""`manage.py expire_secure_messages`: messages ENQUEUED for over 72 hours become EXPIRED."""

from django.core.management.base import BaseCommand

from logging_app.jobs import expire_secure_messages


class Command(BaseCommand):
    help = (
        "Mark EXPIRED the secure messages ENQUEUED for more than 72 hours, each with its "
        "Security event."
    )

    def handle(self, **options) -> None:
        self.stdout.write(str(expire_secure_messages()))
