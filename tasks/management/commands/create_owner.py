"""manage.py create_owner <username>: an eval-owner account, from a terminal or a script."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evalsite.errors import ApplicationError
from tasks.services.accounts import owner_create

PASSWORD_ENV = "EVALSITE_OWNER_PASSWORD"  # noqa: S105 - the name of a variable, not a password


class Command(BaseCommand):
    help = (
        "Create an eval-owner account (it can create studies and see their results). The password comes from "
        f"--password-stdin (first line of standard input), the {PASSWORD_ENV} environment variable, or a "
        "prompt on a terminal; --password works too but shows in the shell history and process list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="the password (visible to other users: prefer the options below)")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of standard input"
        )

    def _password(self, opts: dict[str, Any]) -> str:
        if opts["password_stdin"]:
            return sys.stdin.readline().rstrip("\r\n")
        if opts["password"]:
            return str(opts["password"])
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if not sys.stdin.isatty():
            raise CommandError(
                "No password given and no terminal to ask on: pipe it with --password-stdin "
                f'(echo "$PW" | manage.py create_owner NAME --password-stdin) or set {PASSWORD_ENV}.'
            )
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("No password entered; no account created.") from None
        if password != again:
            raise CommandError("The two passwords differ; no account created.")
        return password

    def handle(self, *args: Any, **opts: Any) -> None:
        password = self._password(opts)
        if not password:
            raise CommandError("The password is empty; no account created.")
        try:
            owner_create(username=opts["username"], password=password, email=opts["email"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Owner {opts['username']!r} created."))
