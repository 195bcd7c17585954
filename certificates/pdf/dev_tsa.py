"""The development timestamp authority and CRL publisher: an HTTP server on loopback.

``POST /`` answers an RFC 3161 timestamp request (``application/timestamp-query``) with a token
signed by pyHanko's ``DummyTimeStamper`` under the development CA's timestamp authority
certificate; ``GET /dev-ca.crl`` serves the development CA's CRL, issued again before it
expires. ``manage.py run_dev_tsa`` starts it beside the portal in ``make run``; the tests start
it on a free port. Never for production: a real body names its TSA in ``TSA_URL``.
"""

from __future__ import annotations

import http.server
import logging
import threading
from pathlib import Path

from asn1crypto import tsp

from certificates.pdf.signing import DEV_CA_NAME, dev_timestamper, write_dev_crl

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 * 1024  # a timestamp request is a few hundred bytes


def make_server(
    ca_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ca_name: str = DEV_CA_NAME,
    ca_stem: str = "dev-ca",
):
    """A ``ThreadingHTTPServer`` serving the development TSA and CRL of ``ca_dir`` (or of the
    CA ``ca_stem`` there: `make prod`'s local CA, ``GET /local-ca.crl``)."""
    ca_dir = Path(ca_dir)
    ca = {"ca_name": ca_name, "ca_stem": ca_stem}
    timestamper = dev_timestamper(ca_dir, **ca)
    write_dev_crl(ca_dir, **ca)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps the connection open, as a real TSA does
        # The answer goes out as headers then body: with Nagle's algorithm on, the body waits
        # for the client's delayed ACK of the headers (≈ 40 ms a request on loopback, two
        # timestamps a signature), a delay no real TSA adds.
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type") != "application/timestamp-query" or not (
                0 < length <= MAX_REQUEST_BYTES
            ):
                self.send_error(400, "Send an RFC 3161 timestamp query")
                return
            try:
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                with lock:
                    body = timestamper.request_tsa_response(request).dump()
            except Exception as exc:  # a malformed query is the client's problem
                logger.info("Refused timestamp query: %s", exc)
                self.send_error(400, "Malformed timestamp query")
                return
            self._send(body, "application/timestamp-reply")

        def do_GET(self):  # noqa: N802
            if self.path.rstrip("/") != f"/{ca_stem}.crl":
                self.send_error(404)
                return
            with lock:
                body = write_dev_crl(ca_dir, **ca).read_bytes()
            self._send(body, "application/pkix-crl")

        def _send(self, body, content_type):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            logger.debug("dev TSA: " + format, *args)

    return http.server.ThreadingHTTPServer((host, port), Handler)
