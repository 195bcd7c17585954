"""Loaded into a test's Celery worker with `--include`: the first certificate render hangs, as a
pathological page would, until Celery's time limits stop it.

ASSAY_TEST_HANG_MARKER records that the hang happened, once across processes. With
ASSAY_TEST_HANG_PAST_SOFT_LIMIT=1 the render swallows the soft limit's SoftTimeLimitExceeded
and goes on hanging (C code of the layout engine would not see it either), so that only the
hard limit, which kills the worker process, ends it.
"""

import os
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded

from certificates import rendering

MARKER = Path(os.environ["ASSAY_TEST_HANG_MARKER"])
PAST_SOFT_LIMIT = os.environ.get("ASSAY_TEST_HANG_PAST_SOFT_LIMIT") == "1"
_render = rendering.render_certificate_pdf


def hang_once(certificate):
    try:
        os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return _render(certificate)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            time.sleep(0.05)
        except SoftTimeLimitExceeded:
            if not PAST_SOFT_LIMIT:
                raise
    raise AssertionError("no time limit stopped the render")


rendering.render_certificate_pdf = hang_once
