"""Loaded into a test's Celery worker with `--include`: each certificate render appends the id
of the worker process that ran it to ASSAY_TEST_PID_LOG."""

import os
from pathlib import Path

from certificates import rendering

PID_LOG = Path(os.environ["ASSAY_TEST_PID_LOG"])
_render = rendering.render_certificate_pdf


def render_and_record(certificate):
    result = _render(certificate)
    with PID_LOG.open("a") as log:
        log.write(f"{os.getpid()}\n")
    return result


rendering.render_certificate_pdf = render_and_record
