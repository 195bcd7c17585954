from django.conf import settings
from django.core.management.base import BaseCommand

from certificates.pdf.fonts import build_font_cache


class Command(BaseCommand):
    help = "Build (once) the font cache PDFs are rendered with (Latin and CJK faces)."

    def handle(self, *args, **options):
        build_font_cache(settings.PDF_FONT_DIR)
