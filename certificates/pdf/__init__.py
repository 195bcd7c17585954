"""The framework-independent PDF layer: fetching, fonts, rendering, signing, QR codes.

Nothing here imports Django; the ``certificates`` app calls it from its tasks and its
verification view. The modules are imported one by one, not re-exported here, so that the web
process verifying an upload (``signing``) does not import WeasyPrint (``render``):

* :mod:`.render` — ``render_pdf`` (in the calling process: a Celery worker's, under its task's
  limits), ``check_fit``;
* :mod:`.join` — ``join_parts`` (a report rendered in parts as one PDF, pypdf);
* :mod:`.fonts` — ``build_font_cache`` (set-up), ``font_set``, ``FONT_FAMILY``;
* :mod:`.fetcher` — ``AssayURLFetcher``, the only way a render loads anything;
* :mod:`.signing` — ``sign_pdf``, ``validate_pdf``, ``fingerprint``,
  ``generate_dev_ca_and_signer``;
* :mod:`.qr` — ``qr_svg``, ``qr_data_url``;
* :mod:`.sample` — a stand-in certificate page for benchmarks and tests.
"""
