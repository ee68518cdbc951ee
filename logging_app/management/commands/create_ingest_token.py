from django.core.management.base import BaseCommand, CommandError

from logging_app.models import IngestToken
from logging_app.tokens import ingest_token_create


class Command(BaseCommand):
    help = (
        "Create an ingest token for the appliance. "
        "The token is printed once; only its hash is kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="Who or what will push with this token, e.g. appliance-1.")

    def handle(self, *args, name: str, **options) -> None:
        if IngestToken.objects.filter(name=name).exists():
            raise CommandError(f"A token named {name!r} exists already; pick another name.")
        _, token = ingest_token_create(name=name)
        self.stderr.write(f"Created ingest token {name!r}. It is shown this once; store it now:")
        self.stdout.write(token)
