"""Figures of the PDF layer: certificate render times and the cost of sandboxing + signing.

Run by ``make bench``; prints ``name: value unit`` lines. The page is the portal's certificate
template filled by :mod:`certificates.pdf.sample` (one A4 bilingual page, QR code included;
the Latin-only reference drops its Chinese text). Fonts and
the development signing credential are prepared in a temporary directory first (not timed).

* ``certificate_en_render_ms`` — English-only certificate, :func:`render_pdf` (in this process,
  as a `pdf` worker renders it; fonts subset for the page), median;
* ``certificate_zh_render_ms`` — the same with a Chinese organization, model and level name;
* ``certificate_pipeline_vs_bare_render_ratio`` — the Chinese certificate through the whole
  pipeline (:func:`render_pdf` then :func:`sign_pdf` at PAdES B-LTA: signature timestamp and
  document timestamp from the development TSA over HTTP on loopback, chain and CRL embedded)
  against a bare in-process WeasyPrint render of the same HTML with the same fonts
  (``HTML(...).write_pdf(...)``, nothing else): what the fetcher, the layout checks, the
  per-page font subsetting, the signature and the timestamps cost on top of WeasyPrint
  itself. Target ≤ 1.5. The median of 60 pairs' ratios (benchmarks.timing.paired_ms: runs
  alternate, so that a slow moment of the machine hits both, with the garbage collector
  paused, as timeit does);
* ``verify_pdf_ms`` — :func:`validate_pdf` of that signed certificate (document timestamp,
  signature timestamp, signer at the timestamp's time with the DSS's CRL, diff analysis of the
  revisions after the signature), median;
* ``certificate_zh_pdf_kb`` / ``certificate_en_pdf_kb`` — size of the signed PDFs.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from benchmarks.timing import paired_ms
from certificates.pdf.dev_tsa import make_server
from certificates.pdf.fetcher import BASE_URL
from certificates.pdf.fonts import build_font_cache
from certificates.pdf.render import prepare_document, render_pdf
from certificates.pdf.sample import LATIN_ONLY, SampleCertificate, certificate_html
from certificates.pdf.signing import (
    generate_dev_ca_and_signer,
    sign_pdf,
    validate_pdf,
    write_dev_crl,
)
from certificates.pdf.styles import CERTIFICATE_CSS

RUNS = 15
PAIRS = 60  # the ratio of two figures wobbling by a few ms each needs more samples
WARM_UP = 3


def figures(runs: int = RUNS) -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory(prefix="assay-pdf-bench-") as tmp:
        font_dir = Path(tmp) / "fonts"
        build_font_cache(font_dir)
        credentials = generate_dev_ca_and_signer(Path(tmp) / "ca", tenant_name="Benchmark Body")
        tsa = make_server(Path(tmp) / "ca")
        threading.Thread(target=tsa.serve_forever, args=(0.05,), daemon=True).start()
        tsa_url = f"http://127.0.0.1:{tsa.server_address[1]}/"
        crls = [write_dev_crl(Path(tmp) / "ca")]
        static_root = Path(tmp) / "static"
        static_root.mkdir()

        def pipeline(html: str) -> bytes:
            pdf = render_pdf(
                html, static_root=static_root, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS]
            )
            return sign_pdf(
                pdf,
                pkcs12_path=credentials.pkcs12_path,
                passphrase=credentials.passphrase,
                reason="Benchmark",
                timestamp_url=tsa_url,
                crls=crls,
            )

        def bare(html: str) -> Callable[[], bytes]:
            # The same fonts, fetcher and stylesheets as the pipeline, prepared beforehand:
            # only WeasyPrint's own work is timed.
            prepared = prepare_document(
                html, static_root=static_root, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS]
            )
            sources = [prepared.font_css, CERTIFICATE_CSS]
            fetcher = prepared.fetcher  # it keeps serving the page's fonts after close()
            prepared.close()

            def run() -> bytes:
                font_config = FontConfiguration()
                sheets = [
                    CSS(
                        string=source,
                        base_url=BASE_URL,
                        url_fetcher=fetcher,
                        font_config=font_config,
                    )
                    for source in sources
                ]
                document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
                return document.write_pdf(stylesheets=sheets, font_config=font_config)

            return run

        en_html = certificate_html(LATIN_ONLY)
        zh_html = certificate_html(SampleCertificate())
        en_pdf = pipeline(en_html)
        zh_pdf = pipeline(zh_html)
        bare_zh = bare(zh_html)

        en_ms = _median_ms(
            lambda: render_pdf(
                en_html, static_root=static_root, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS]
            ),
            runs,
        )
        zh_ms = _median_ms(
            lambda: render_pdf(
                zh_html, static_root=static_root, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS]
            ),
            runs,
        )
        pipeline_ms, bare_ms, ratio = paired_ms(lambda: pipeline(zh_html), bare_zh, runs=PAIRS)
        roots = [credentials.ca_cert_path]
        assert validate_pdf(zh_pdf, trust_roots=roots).ok
        verify_ms = _median_ms(lambda: validate_pdf(zh_pdf, trust_roots=roots), runs)
        tsa.shutdown()
        tsa.server_close()
        return [
            ("certificate_en_render_ms", round(en_ms, 1), "ms"),
            ("certificate_zh_render_ms", round(zh_ms, 1), "ms"),
            ("certificate_pipeline_vs_bare_render_ratio", round(ratio, 3), "x"),
            ("certificate_zh_pipeline_ms", round(pipeline_ms, 1), "ms"),
            ("certificate_zh_bare_render_ms", round(bare_ms, 1), "ms"),
            ("verify_pdf_ms", round(verify_ms, 1), "ms"),
            ("certificate_en_pdf_kb", round(len(en_pdf) / 1024, 1), "KB"),
            ("certificate_zh_pdf_kb", round(len(zh_pdf) / 1024, 1), "KB"),
        ]


def _median_ms(function: Callable[[], object], runs: int) -> float:
    for _ in range(WARM_UP):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


if __name__ == "__main__":
    for name, value, unit in figures():
        print(f"{name}: {value} {unit}")
