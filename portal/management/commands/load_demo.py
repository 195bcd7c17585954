from django.core.management.base import BaseCommand

from assessments import demo as assessment_demo
from certificates import demo as certificate_demo
from tenants import demo as tenant_demo


class Command(BaseCommand):
    help = "Load the demo assessment body, its people and the shipped models. Safe to run again."

    def handle(self, *args, **options):
        tenant_demo.load(write=self.stdout.write)
        assessment_demo.load(write=self.stdout.write)
        assessment_demo.load_engagement(write=self.stdout.write)
        certificate_demo.load(write=self.stdout.write)
        certificate_demo.load_certified(write=self.stdout.write)
