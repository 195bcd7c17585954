from django.core.management.base import BaseCommand

from tenants import demo as tenant_demo


class Command(BaseCommand):
    help = "Load the demo assessment body, its clients and people. Safe to run again."

    def handle(self, *args, **options):
        tenant_demo.load(write=self.stdout.write)
