"""The portal's settings plus a URLconf with the bare baselines the benchmarks compare with."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

import warnings  # noqa: E402

# No collectstatic for benchmarks: WhiteNoise's warning about it is noise here.
warnings.filterwarnings("ignore", message="No directory at")

# Benchmarks measure with DEBUG off on a development machine: its key, development CA and local
# broker are what they are here; a real deployment must pass these checks (portal/checks.py).
SILENCED_SYSTEM_CHECKS = ["assay.E002", "assay.E003", "assay.E004", "assay.E005"]
