"""Both languages are complete: every string of the Chinese catalogue is translated and compiled."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def _entries():
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^(?:msgid |")(".*"|.*)$', block.split("msgstr")[0], re.M))
        yield block, msgid


def test_every_chinese_message_is_translated():
    untranslated = [
        block
        for block, _ in _entries()
        if re.search(r'^msgstr(\[0\])? ""$(?!\n")', block, re.M) or "#, fuzzy" in block
    ]
    assert not untranslated, "\n\n".join(untranslated[:5])


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is not installed")
def test_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `make messages`."
    )
