"""Loaded into a test's Celery worker with `--include`: the first certificate render kills its
worker process after the PDF is made and before anything is stored, as a crash would.

The marker file (ASSAY_TEST_KILL_MARKER) records that the kill happened, once across processes.
"""

import os
import signal
from pathlib import Path

from certificates import rendering

MARKER = Path(os.environ["ASSAY_TEST_KILL_MARKER"])
_render = rendering.render_certificate_pdf


def render_then_die_once(certificate):
    result = _render(certificate)
    try:
        os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return result
    os.kill(os.getpid(), signal.SIGKILL)


rendering.render_certificate_pdf = render_then_die_once
