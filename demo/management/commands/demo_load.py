import time

from django.core.management.base import BaseCommand

from demo.loader import demo_load


class Command(BaseCommand):
    help = "Load the demo (a text study and an image study, judged by simulated raters). Safe to run again."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = demo_load()
        if result["created"]:
            for name in result["created"]:
                self.stdout.write(f"Loaded demo study: {name}")
            self.stdout.write(f"Demo loaded in {time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write("Demo already loaded; reusing it.")
