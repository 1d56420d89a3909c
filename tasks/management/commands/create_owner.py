import getpass

from django.core.management.base import BaseCommand, CommandError

from evalsite.errors import ApplicationError
from tasks.services.accounts import owner_create


class Command(BaseCommand):
    help = "Create an eval-owner account (it can create studies and see their results)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Omit to be asked (not echoed).")

    def handle(self, *args, username, email, password, **options):
        if not password:
            password = getpass.getpass("Password: ")
        try:
            owner_create(username=username, password=password, email=email)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Owner {username!r} created."))
