"""Logging filters named in ``LOGGING`` (portal/settings.py)."""

import logging


class DropMessages(logging.Filter):
    """Drops the records whose message starts with ``starting``: a library's warning that is
    expected every time (the reason is next to its use in ``LOGGING``)."""

    def __init__(self, starting: str):
        super().__init__()
        self.starting = starting

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.starting)
