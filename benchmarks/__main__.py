"""`make bench`: every figure of benchmarks/*_figures.py as `name: value unit` lines.

Each module has `figures()` yielding (name, value, unit). Figures that need the database run
against a fresh SQLite file (or DATABASE_URL when set) made for this run.
"""

import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(selected):
    workdir = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    os.environ.setdefault("ASSAY_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _start_dev_tsa()
    modules = sorted(
        m.name
        for m in pkgutil.iter_modules([str(ROOT / "benchmarks")])
        if m.name.endswith("_figures")
    )
    for name in modules:
        if selected and not any(s in name for s in selected):
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        for figure, value, unit in module.figures():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{figure}: {shown} {unit}", flush=True)
        print(f"# {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _start_dev_tsa():
    """Certificates and reports are timestamped: serve the development TSA and CRL of the run's
    CA on a free loopback port, for this process and the worker processes it starts."""
    import threading

    from django.conf import settings

    from certificates.pdf.dev_tsa import make_server

    server = make_server(settings.DEV_CA_DIR)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    settings.TSA_URL = os.environ["TSA_URL"] = f"http://127.0.0.1:{server.server_address[1]}/"


if __name__ == "__main__":
    main(sys.argv[1:])
