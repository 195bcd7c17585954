"""Fonts for Assay PDFs: a small font per document, cut from fonts prepared at set-up time.

The problem. Certificates carry Chinese names (北京示例科技有限公司, 持续交付, 全面级), so a
CJK font is needed, and Debian's Noto Serif CJK is a 26 MB collection of five 65,535-glyph
faces. WeasyPrint embeds only the glyphs a page uses, but to get there it hands the whole face
to a subsetter at every render.

Measured on this machine (2 cores, WeasyPrint 70), the one-page bilingual certificate of
:mod:`certificates.pdf.sample`, median of several renders:

=================================================  =========  =========  ===========
approach                                           en page    zh page    zh PDF
=================================================  =========  =========  ===========
Noto Serif CJK SC found by fontconfig; WeasyPrint   —          ≈ 8,000 ms  245 KB
subsets it with fontTools (no libharfbuzz-subset)
the same, WeasyPrint subsetting with HarfBuzz       82 ms      212 ms     247 KB
(1) CJK pre-split into 300-character slices with    —          420 ms     240 KB
``unicode-range``, only the slices used declared
(2) one font per face cut for the page with         ≈ 85 ms    ≈ 150 ms   42 KB
HarfBuzz — this module
(2) the same cut with fontTools                    —          1,500 ms   42 KB
=================================================  =========  =========  ===========

Why (2) with HarfBuzz. The ≈ 6-8 s of DESIGN.md is WeasyPrint falling back to fontTools when
``libharfbuzz-subset`` is absent. With HarfBuzz, WeasyPrint copes with the whole system face,
but it keeps glyph ids (a 245 KB PDF for forty Chinese characters), copies the 26 MB
collection into each render and draws with whatever fontconfig finds on the host. Slicing,
what browsers get from Google Fonts, does not suit WeasyPrint: it does not load ``@font-face``
rules lazily by ``unicode-range`` as a browser does, so the slices a page needs have to be
picked by hand anyway, and a certificate's few dozen characters fall into a dozen slices per
weight — two dozen fonts to load, shape with and embed. Once the characters of the page are
known, cutting *one* font holding exactly them is both simpler and fastest: HarfBuzz's
subsetter (the C library WeasyPrint itself uses, through the uharfbuzz bindings) does it in
≈ 3 ms per CJK face, the fonts handed to WeasyPrint are a few KB, and so is the PDF.

How:

* at set-up, :func:`build_font_cache` copies the faces used out of the installed fonts into a
  cache directory (the SC face is extracted from the Noto CJK collection), with a manifest
  recording each face's character coverage. Idempotent: a second run reads the manifest and
  returns in milliseconds. Nothing is committed to git;
* at each render, :meth:`FontSet.stylesheet` takes the characters of the document, cuts from
  each face a font holding those it is the first family to draw, registers it with the
  document's :class:`~certificates.pdf.fetcher.AssayURLFetcher` (in memory, by URL: as
  ``data:`` URLs the fonts would cost WeasyPrint's CSS tokenizer ≈ 50 ms a page) and returns
  the ``@font-face`` rules. A face the page does not need is left out: an English-only page
  loads no CJK font.

uharfbuzz ships its own HarfBuzz, so subsetting never falls back to fontTools. A character in
no face (an emoji) is an error, :class:`MissingGlyphs`, naming it: the host's fonts are never
used, so a page prints exactly its text with the project's faces, on every worker.

Latin text uses Liberation Serif (Times-compatible metrics, ``fonts-liberation``) or, where it
is absent, DejaVu Serif (``fonts-dejavu-core``); Chinese uses Noto Serif CJK SC
(``fonts-noto-cjk``), its extensions B to G HanaMinB (``fonts-hanazono``); Arabic DejaVu Sans
(``fonts-dejavu-core``). Templates set ``font-family: var(--assay-serif)`` or
:data:`FONT_FAMILY`; the generated stylesheet also makes it the default for ``html``.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fetcher import AssayURLFetcher

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 3  # 3: CJK extension and Arabic faces, coverage limited by FaceSpec.only

LATIN_FAMILY = "Assay Serif"
CJK_FAMILY = "Assay Serif CJK"
CJK_EXT_FAMILY = "Assay Serif CJK Ext"
ARABIC_FAMILY = "Assay Arabic"
FAMILIES = (LATIN_FAMILY, CJK_FAMILY, CJK_EXT_FAMILY, ARABIC_FAMILY)
# The order matters: Pango draws each character with the first family that has it. No generic
# family closes the list: a character in none of the project's faces is refused before the
# render (MissingGlyphs), never left to whatever fonts the host has (docs/architecture.md,
# "PDF layout and fonts").
FONT_FAMILY = ", ".join(f'"{family}"' for family in FAMILIES)
# The same for an SVG's font-family attribute: WeasyPrint's SVG text strips quotes but not
# spaces from each name, so the names are listed bare, without spaces after the commas.
SVG_FONT_FAMILY = ",".join(FAMILIES)

# Characters a layout may draw without them being in the source text: hyphenation, list
# bullets, ellipsis, quotes, and the CJK punctuation templates are likely to use.
ALWAYS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + list("\u00a0\u00b7\u2010\u2011\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026")
    + list("\u3000\u3001\u3002\uff0c\uff1a\uff1b\uff01\uff1f\uff08\uff09\u300a\u300b")
    + list("\u300c\u300d")
)

# Layout features kept in the CJK subsets. Noto CJK's others would pull in through their
# closure the glyphs of four other regions ('locl'), vertical forms ('vert') and widths
# ('fwid', 'hwid'...): three times the glyphs and ten times the subsetting time, for a
# horizontal Simplified Chinese page that uses none of them.
CJK_FEATURES = ("ccmp", "kern", "mark")

_LIBERATION = "/usr/share/fonts/truetype/liberation/"
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"
_NOTO = "/usr/share/fonts/opentype/noto/"
_HANAZONO = "/usr/share/fonts/truetype/hanazono/"


ARABIC_BLOCKS = (
    (0x0020, 0x0020),  # spaces inside Arabic runs are drawn with the Arabic face
    (0x00A0, 0x00A0),
    (0x200C, 0x200F),  # joiners and direction marks
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x08A0, 0x08FF),  # Arabic Extended-A
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
)


@dataclass(frozen=True)
class FaceSpec:
    """One face of the cache and where to find it among the installed fonts.

    ``sources`` are tried in order: a plain font file, or a collection (``.ttc``) and the
    name of the family to take out of it. ``fontconfig`` is the pattern to ask ``fc-match``
    for when none of the paths exist (another distribution, another directory layout).
    """

    family: str
    weight: int
    style: str
    filename: str
    sources: tuple[tuple[str, str | None], ...]
    fontconfig: str
    # The code points this face is used for (inclusive ranges); None: all it has.
    only: tuple[tuple[int, int], ...] | None = None


FACES = (
    FaceSpec(
        LATIN_FAMILY,
        400,
        "normal",
        "latin-regular.ttf",
        ((_LIBERATION + "LiberationSerif-Regular.ttf", None), (_DEJAVU + "DejaVuSerif.ttf", None)),
        "Liberation Serif:style=Regular",
    ),
    FaceSpec(
        LATIN_FAMILY,
        700,
        "normal",
        "latin-bold.ttf",
        (
            (_LIBERATION + "LiberationSerif-Bold.ttf", None),
            (_DEJAVU + "DejaVuSerif-Bold.ttf", None),
        ),
        "Liberation Serif:style=Bold",
    ),
    FaceSpec(
        LATIN_FAMILY,
        400,
        "italic",
        "latin-italic.ttf",
        (
            (_LIBERATION + "LiberationSerif-Italic.ttf", None),
            (_DEJAVU + "DejaVuSerif-Italic.ttf", None),
        ),
        "Liberation Serif:style=Italic",
    ),
    FaceSpec(
        LATIN_FAMILY,
        700,
        "italic",
        "latin-bold-italic.ttf",
        (
            (_LIBERATION + "LiberationSerif-BoldItalic.ttf", None),
            (_DEJAVU + "DejaVuSerif-BoldItalic.ttf", None),
        ),
        "Liberation Serif:style=Bold Italic",
    ),
    FaceSpec(
        CJK_FAMILY,
        400,
        "normal",
        "cjk-regular.otf",
        (
            (_NOTO + "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
            ("/usr/share/fonts/opentype/noto-cjk/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
        ),
        "Noto Serif CJK SC:style=Regular",
    ),
    FaceSpec(
        CJK_FAMILY,
        700,
        "normal",
        "cjk-bold.otf",
        (
            (_NOTO + "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
            ("/usr/share/fonts/opentype/noto-cjk/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
        ),
        "Noto Serif CJK SC:style=Bold",
    ),
    # CJK Unified Ideographs Extensions B to G (𠀀 …), which Noto CJK does not draw.
    FaceSpec(
        CJK_EXT_FAMILY,
        400,
        "normal",
        "cjk-ext-regular.ttf",
        ((_HANAZONO + "HanaMinB.ttf", None),),
        "HanaMinB:style=Regular",
    ),
    # Arabic: DejaVu Sans, for its Arabic blocks only (its monochrome emoji are not a faithful
    # print of a legal name: emoji stay refused).
    FaceSpec(
        ARABIC_FAMILY,
        400,
        "normal",
        "arabic-regular.ttf",
        ((_DEJAVU + "DejaVuSans.ttf", None),),
        "DejaVu Sans:style=Book",
        ARABIC_BLOCKS,
    ),
    FaceSpec(
        ARABIC_FAMILY,
        700,
        "normal",
        "arabic-bold.ttf",
        ((_DEJAVU + "DejaVuSans-Bold.ttf", None),),
        "DejaVu Sans:style=Bold",
        ARABIC_BLOCKS,
    ),
)


class FontCacheError(RuntimeError):
    """The font cache cannot be built or read; the message says what to install or run."""


class MissingGlyphs(ValueError):
    """Text holds characters none of the PDF fonts can draw; ``characters`` names them."""

    def __init__(self, characters: Iterable[str]) -> None:
        self.characters = sorted(set(characters))
        super().__init__(
            "No font of the PDF can print "
            + ", ".join(describe_character(ch) for ch in self.characters)
        )


def describe_character(ch: str) -> str:
    """``😀 (U+1F600 GRINNING FACE)``: a character as a person can look it up."""
    name = unicodedata.name(ch, "")
    return f"{ch} (U+{ord(ch):04X}{' ' + name if name else ''})"


# --------------------------------------------------------------------------- set-up time


def build_font_cache(dest_dir: str | Path) -> FontSet:
    """Prepare the PDF fonts in ``dest_dir`` from the installed fonts; return them loaded.

    Run once per machine at set-up (``python -m certificates.pdf.fonts DIR`` does it). Safe to
    run again and concurrently: when the manifest matches the installed sources it returns at
    once; otherwise files are written under temporary names and renamed into place.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    located = [(spec, *_locate(spec)) for spec in FACES]
    sources = [
        {
            "path": str(path),
            "family": family,
            "size": path.stat().st_size,
            "mtime_ns": path.stat().st_mtime_ns,
        }
        for _, path, family in located
    ]
    manifest = _read_manifest(dest)
    if (
        manifest is not None
        and manifest.get("format") == MANIFEST_FORMAT
        and [face["source"] for face in manifest["faces"]] == sources
        and all((dest / face["file"]).is_file() for face in manifest["faces"])
    ):
        return FontSet.load(dest)

    faces = []
    for (spec, path, family), source in zip(located, sources, strict=True):
        font_bytes = _extract(path, family)
        _write_atomically(dest / spec.filename, font_bytes)
        faces.append(
            {
                "family": spec.family,
                "weight": spec.weight,
                "style": spec.style,
                "file": spec.filename,
                "sha256": hashlib.sha256(font_bytes).hexdigest(),
                "coverage": _coverage_ranges(font_bytes, spec.only),
                "source": source,
            }
        )
    document = {"format": MANIFEST_FORMAT, "faces": faces}
    _write_atomically(dest / MANIFEST, json.dumps(document, separators=(",", ":")).encode())
    logger.info("Built the PDF font cache in %s", dest)
    return FontSet.load(dest)


def _locate(spec: FaceSpec) -> tuple[Path, str | None]:
    for path, family in spec.sources:
        if Path(path).is_file():
            return Path(path), family
    found = _fc_match(spec.fontconfig)
    if found is not None:
        return found
    raise FontCacheError(
        f"No font for {spec.family} {spec.weight} {spec.style}: install the Debian packages "
        "fonts-liberation, fonts-dejavu-core, fonts-noto-cjk and fonts-hanazono "
        "(scripts/system-deps.sh)."
    )


def _fc_match(pattern: str) -> tuple[Path, str | None] | None:
    """Ask fontconfig for a file holding exactly ``pattern``'s family, if fc-match exists."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, our own pattern
            [fc_match, "--format=%{file}\n%{family[0]}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, family = out.partition("\n")
    wanted = pattern.split(":")[0]
    if family != wanted or not Path(file).is_file():
        return None  # fontconfig substituted another family: not what the PDFs promise
    return Path(file), family if file.lower().endswith((".ttc", ".otc")) else None


def _extract(path: Path, family: str | None) -> bytes:
    """Return the font file for ``path``, taking ``family``'s face out of a collection."""
    if family is None:
        return path.read_bytes()
    from fontTools.ttLib import TTCollection

    # lazy=True: tables are copied as raw bytes, so this takes well under a second.
    collection = TTCollection(str(path), lazy=True)
    for font in collection.fonts:
        if font["name"].getDebugName(1) == family:
            out = io.BytesIO()
            font.save(out)
            return out.getvalue()
    raise FontCacheError(f"{path} has no face named {family!r}")


def _coverage_ranges(
    font_bytes: bytes, only: tuple[tuple[int, int], ...] | None = None
) -> list[list[int]]:
    from fontTools.ttLib import TTFont

    codepoints = sorted(
        cp
        for cp in TTFont(io.BytesIO(font_bytes), lazy=True).getBestCmap()
        if only is None or any(start <= cp <= end for start, end in only)
    )
    ranges: list[list[int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


def _read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; workers may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- render time


@dataclass(frozen=True)
class CachedFace:
    """A face of the cache: its CSS descriptors, file and the code points it covers."""

    family: str
    weight: int
    style: str
    path: Path
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def covers(self, codepoint: int) -> bool:
        i = bisect.bisect_right(self.starts, codepoint) - 1
        return i >= 0 and codepoint <= self.ends[i]


@dataclass(frozen=True)
class DocumentFont:
    """A font cut from a cached face for one document."""

    family: str
    weight: int
    style: str
    data: bytes

    @property
    def name(self) -> str:
        digest = hashlib.sha256(self.data).hexdigest()[:16]
        extension = "otf" if self.data[:4] == b"OTTO" else "ttf"
        return f"font-{digest}.{extension}"


class FontSet:
    """The cached faces, loaded once per process, and the per-document subsetting."""

    def __init__(self, directory: Path, faces: Iterable[CachedFace]) -> None:
        self.directory = directory
        self.faces = tuple(faces)
        self._latin = [face for face in self.faces if face.family == LATIN_FAMILY]
        self._subsetter = _subsetter()

    @classmethod
    def load(cls, directory: str | Path) -> FontSet:
        directory = Path(directory)
        manifest = _read_manifest(directory)
        if manifest is None or manifest.get("format") != MANIFEST_FORMAT:
            raise FontCacheError(
                f"No PDF font cache in {directory}: run build_font_cache() "
                f"(python -m certificates.pdf.fonts {directory}) at set-up."
            )
        faces = []
        for face in manifest["faces"]:
            starts, ends = zip(*face["coverage"], strict=True) if face["coverage"] else ((), ())
            faces.append(
                CachedFace(
                    face["family"],
                    face["weight"],
                    face["style"],
                    directory / face["file"],
                    tuple(starts),
                    tuple(ends),
                )
            )
        return cls(directory, faces)

    @staticmethod
    def drawn_characters(text: str) -> set[str]:
        """The characters of ``text`` a page draws: all but controls and format characters
        (private-use and unassigned code points are drawn, as tofu, so they count)."""
        return {
            ch
            for ch in set(text)
            if unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch == "\u00ad"
        }

    def missing_characters(self, text: str) -> list[str]:
        """The characters of ``text`` that no face of the set can draw, sorted."""
        return sorted(
            ch
            for ch in self.drawn_characters(text)
            if not ch.isspace() and not any(face.covers(ord(ch)) for face in self.faces)
        )

    def document_fonts(self, text: str) -> list[DocumentFont]:
        """Cut from each face the characters of ``text`` its family is the first to draw.

        Raises :class:`MissingGlyphs` naming the characters no face draws: a page never prints
        less than its text says.
        """
        missing = self.missing_characters(text)
        if missing:
            raise MissingGlyphs(missing)
        used = self.drawn_characters(text)
        drawn_before: set[str] = set()
        fonts = []
        for family in FAMILIES:
            faces = [face for face in self.faces if face.family == family]
            if family == LATIN_FAMILY:
                wanted = used | ALWAYS
            else:
                wanted = {
                    ch
                    for ch in used - drawn_before
                    if any(face.covers(ord(ch)) for face in faces) and not ch.isspace()
                }
                if not wanted:
                    continue  # an English-only page loads no CJK or Arabic font
                # Spaces inside Chinese or Arabic text are drawn with that face (Pango keeps
                # a space in the run around it), so the face keeps them; ASCII stays Latin.
                wanted |= ALWAYS - set(map(chr, range(0x21, 0x7F)))
            for face in faces:
                codepoints = sorted(ord(ch) for ch in wanted if face.covers(ord(ch)))
                if not codepoints:
                    continue
                features = CJK_FEATURES if family == CJK_FAMILY else None
                data = self._subsetter.subset(face.path, codepoints, features)
                fonts.append(DocumentFont(face.family, face.weight, face.style, data))
            drawn_before |= {ch for ch in wanted if any(f.covers(ord(ch)) for f in faces)}
        return fonts

    def stylesheet(self, text: str, fetcher: AssayURLFetcher) -> str:
        """Return ``@font-face`` rules for ``text``'s fonts, served to WeasyPrint by ``fetcher``.

        Also declares ``--assay-serif`` and makes :data:`FONT_FAMILY` the page default; pass
        the result as the first stylesheet so that templates can override it.
        """
        rules = []
        for font in self.document_fonts(text):
            url = fetcher.add_resource(font.name, font.data, "font/" + font.name[-3:])
            rules.append(
                f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; '
                f'font-style: {font.style}; src: url("{url}"); }}'
            )
        rules.append(f":root {{ --assay-serif: {FONT_FAMILY}; }}")
        rules.append(f"html {{ font-family: {FONT_FAMILY}; }}")
        return "\n".join(rules)


_font_sets: dict[Path, FontSet] = {}
_font_sets_lock = threading.Lock()


def font_set(directory: str | Path) -> FontSet:
    """Return the :class:`FontSet` in ``directory``, loaded once per process."""
    key = Path(directory).resolve()
    with _font_sets_lock:
        if key not in _font_sets:
            _font_sets[key] = FontSet.load(key)
        return _font_sets[key]


# --------------------------------------------------------------------------- subsetting


class _HarfBuzzSubsetter:
    """HarfBuzz's hb-subset through uharfbuzz (which ships its own HarfBuzz): milliseconds
    for a page's characters. Faces are opened once (HarfBuzz maps the file)."""

    def __init__(self) -> None:
        import uharfbuzz

        self._hb = uharfbuzz
        self._faces: dict[Path, object] = {}
        self._lock = threading.Lock()

    def _face(self, path: Path):
        with self._lock:
            if path not in self._faces:
                try:
                    self._faces[path] = self._hb.Face(self._hb.Blob.from_file_path(path))
                except Exception as error:
                    raise FontCacheError(f"Cannot read font {path}: {error}") from error
            return self._faces[path]

    def subset(
        self, path: Path, codepoints: list[int], features: Iterable[str] | None = None
    ) -> bytes:
        hb = self._hb
        subset_input = hb.SubsetInput()
        subset_input.unicode_set.update(codepoints)
        subset_input.flags = hb.SubsetFlags.NO_HINTING  # PDF viewers ignore TrueType hints
        if features is not None:
            tags = subset_input.layout_feature_tag_set
            tags.clear()
            tags.update(int.from_bytes(tag.encode("ascii"), "big") for tag in features)
        result = hb.subset(self._face(path), subset_input)
        if result is None:
            raise FontCacheError(f"HarfBuzz could not subset {path}")
        return result.blob.data


_subsetter_instance: _HarfBuzzSubsetter | None = None


def _subsetter() -> _HarfBuzzSubsetter:
    global _subsetter_instance
    if _subsetter_instance is None:
        _subsetter_instance = _HarfBuzzSubsetter()
    return _subsetter_instance


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m certificates.pdf.fonts CACHE_DIR")
    built = build_font_cache(sys.argv[1])
    for cached in built.faces:
        print(f"{cached.family} {cached.weight} {cached.style}: {cached.path}")
