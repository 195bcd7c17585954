#!/usr/bin/env python3
"""Check an Assay certificate or report PDF with OpenSSL alone, at the time it was timestamped.

    python3 openssl_check.py certificate.pdf --ca assay-trust-roots.pem [--ca tsa-ca.pem]

For relying parties who trust neither the portal nor pyHanko: this file needs Python's standard
library and the ``openssl`` command, nothing of Assay. The public verification page serves it
(``/verify/trust/openssl_check.py``) with the CA certificates the portal trusts
(``/verify/trust/roots.pem``). It does what poppler's ``pdfsig`` cannot
(pdfsig checks certificates at today's date and has no option for another; it does not check
document timestamps), so it still gives a verdict once the body's signing certificate has
expired (docs/architecture.md, "Signed PDFs"):

1. the last revision is a document timestamp (RFC 3161) that covers every byte of the file:
   ``openssl ts -verify`` against the CA(s) given — nothing was appended after it;
2. its time, read from the token (``openssl ts -reply -text``), is the validation time;
3. the body's signature (the PAdES signature before it) is checked with
   ``openssl cms -verify -attime <that time>``: the signature over the bytes it covers, the
   signer's certificate and its chain to the CA given, all as they stood when the timestamp
   proves the file existed.

Prints one line per check and exits 0 when all pass, 1 when one fails, 2 on bad input.

What OpenSSL cannot see: it does not read PDF, so the content of the revision between the
signature and the document timestamp (in Assay's files, only the validation data: chain and
CRL) is not inspected here. The portal's verification page and pyHanko analyse it, and report
anything else as "Altered after signing".
"""

from __future__ import annotations

import argparse
import binascii
import calendar
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


class Failed(Exception):
    """A check did not pass; the message says which and why."""


def signatures(pdf: bytes) -> list[tuple[bytes, bytes, bool]]:
    """(signed bytes, CMS DER, covers the whole file) for each signature, in file order.

    A signature's /Contents is, by definition of its /ByteRange [a b c d], the hex string in
    the gap between the two ranges: ``pdf[a + b:c]`` is ``<…>``.
    """
    found = []
    for match in BYTE_RANGE.finditer(pdf):
        a, b, c, d = (int(group) for group in match.groups())
        if a != 0 or not (0 < b < c <= c + d <= len(pdf)):
            raise Failed(f"a /ByteRange [{a} {b} {c} {d}] that does not fit the file")
        gap = pdf[a + b : c].strip()
        if not (gap.startswith(b"<") and gap.endswith(b">")):
            raise Failed("a signature whose /Contents is not where its /ByteRange says")
        try:
            der = _der_prefix(binascii.unhexlify(gap[1:-1]))
        except (binascii.Error, ValueError) as error:
            raise Failed(f"a signature's /Contents is not DER: {error}") from None
        found.append((pdf[a : a + b] + pdf[c : c + d], der, c + d == len(pdf)))
    return found


def _der_prefix(data: bytes) -> bytes:
    """The DER value at the start of ``data`` (the /Contents hole is padded with zeros)."""
    if len(data) < 2 or data[0] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    first = data[1]
    if first < 0x80:
        return data[: 2 + first]
    count = first & 0x7F
    if not 0 < count <= 4 or len(data) < 2 + count:
        raise ValueError("bad DER length")
    length = int.from_bytes(data[2 : 2 + count], "big")
    if len(data) < 2 + count + length:
        raise ValueError("DER value longer than its /Contents")
    return data[: 2 + count + length]


def openssl(*args: str) -> str:
    command = shutil.which("openssl")
    if command is None:
        raise Failed("the openssl command is not installed")
    result = subprocess.run([command, *args], capture_output=True, text=True)  # noqa: S603
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise Failed(_reason(output))
    return output


def _reason(output: str) -> str:
    """OpenSSL's own words for a failure: its verify error, else the reason of its first error."""
    if "Verify error:" in output:
        return output.split("Verify error:", 1)[1].splitlines()[0].strip()
    for line in output.splitlines():
        fields = line.split(":")
        if len(fields) > 5 and fields[1] == "error":
            return fields[5]
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[0] if lines else "openssl failed"


def check(pdf: bytes, cas: list[Path]) -> list[str]:
    """The lines of a passing check of ``pdf``; raises :class:`Failed` at the first failure."""
    found = signatures(pdf)
    if len(found) != 2:
        raise Failed(
            f"{len(found)} signature(s): an Assay PDF has two, the body's signature and then"
            " one document timestamp"
        )
    (signed, cms, _), (ts_signed, token, ts_whole) = found
    if not ts_whole:
        raise Failed("altered after signing: the last signature does not cover the whole file")
    lines = []
    with tempfile.TemporaryDirectory(prefix="assay-openssl-") as tmp:
        folder = Path(tmp)
        bundle = folder / "ca.pem"
        bundle.write_text("".join(path.read_text() for path in cas))
        (folder / "ts.der").write_bytes(token)
        (folder / "ts.data").write_bytes(ts_signed)
        (folder / "sig.der").write_bytes(cms)
        (folder / "sig.data").write_bytes(signed)
        try:
            text = openssl("ts", "-reply", "-in", str(folder / "ts.der"), "-token_in", "-text")
        except Failed:
            raise Failed("the last signature is not a document timestamp") from None
        stamped = re.search(r"Time stamp: (\w{3}\s+\d+ \d\d:\d\d:\d\d(?:\.\d+)? \d{4}) GMT", text)
        if stamped is None:
            raise Failed("the document timestamp has no time")
        moment = calendar.timegm(
            time.strptime(
                re.sub(r"\.\d+", "", " ".join(stamped.group(1).split())), "%b %d %H:%M:%S %Y"
            )
        )
        try:
            openssl(
                "ts",
                "-verify",
                "-in",
                str(folder / "ts.der"),
                "-token_in",
                "-data",
                str(folder / "ts.data"),
                "-CAfile",
                str(bundle),
            )
        except Failed as error:
            raise Failed(f"document timestamp: {error}") from None
        lines.append(f"Document timestamp: valid, covers the whole file, {stamped.group(1)} GMT")
        try:
            openssl(
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(folder / "sig.der"),
                "-content",
                str(folder / "sig.data"),
                "-CAfile",
                str(bundle),
                "-purpose",
                "any",
                "-attime",
                str(moment),
                "-out",
                str(folder / "out"),
            )
        except Failed as error:
            raise Failed(f"signature: {error}") from None
        lines.append(f"Signature: valid, signer's chain trusted at {stamped.group(1)} GMT")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument(
        "--ca",
        type=Path,
        action="append",
        required=True,
        help="a trusted CA certificate (PEM): the body's, and the TSA's if another",
    )
    args = parser.parse_args(argv)
    try:
        pdf = args.pdf.read_bytes()
        for path in args.ca:
            path.read_text()
    except OSError as error:
        print(f"Cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        lines = check(pdf, args.ca)
    except Failed as error:
        print(f"NOT VALID: {error}")
        return 1
    print("\n".join(lines))
    print("VALID")
    return 0


if __name__ == "__main__":
    sys.exit(main())
