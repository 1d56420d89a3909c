from django.conf import settings
from django.core.management.base import BaseCommand

from tasks.models import Study


class Command(BaseCommand):
    help = "Print the demo owner's login, the owner URL and the rater links (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        base = f"http://{host}:{port}"
        login_file = settings.VAR_DIR / "demo-login.txt"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("evalsite demo is ready"))
        if login_file.exists():
            username, password = login_file.read_text().split("\n", 1)
            self.stdout.write(f"  Owner login:  {username}  /  {password.strip()}")
        self.stdout.write(f"  Owner pages:  {base}/")
        for study in Study.objects.filter(owner__username="demo").order_by("created_at"):
            # The plain open link: whoever opens it is a new anonymous rater (no invented crowd id, which would
            # make them that Prolific worker and send them to Prolific at the end).
            self.stdout.write(f"  Rater link ({study.name}):  {base}/r/{study.slug}/")
        self.stdout.write(f"  API docs:     {base}/api/docs/")
        self.stdout.write("")
