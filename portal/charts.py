"""SVG charts made by the portal itself: no JavaScript, no network, text escaped."""

import textwrap

from django.utils.html import escape
from django.utils.safestring import mark_safe

ROW, BAR, LABEL_WIDTH, PLOT_WIDTH = 26, 14, 170, 250
LINE = 12  # height of one line of a label
CHAR = 5.6  # average advance of a label character at font-size 11 (Latin); CJK counts double


def _wrap(text, width):
    """Lines of at most about ``width`` units (a CJK character counts two), never cut."""
    if sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) <= width:
        return [text]
    if " " in text.strip():
        return textwrap.wrap(text, width=width, break_long_words=False) or [text]
    lines, line, used = [], "", 0
    for ch in text:
        cost = 2 if ord(ch) > 0x2E80 else 1
        if used + cost > width and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += cost
    return [*lines, line] if line else lines


def level_bars(rows, target, *, max_level=5, title="", font_family="", label_width=LABEL_WIDTH):
    """Horizontal bars of the level reached per row [(label, level)], with the target as a line.

    A label is a string or a tuple of strings (e.g. English and Chinese names), each printed
    whole on as many lines as it needs: labels are wrapped, never cut. The SVG scales to its
    container (viewBox), so pages and PDFs can size it as they like. ``font_family`` names the
    faces of its text (PDFs pass their own font stack, so that no host font is used); without
    it the page's default applies.
    """
    per_line = max(int(label_width / CHAR) - 2, 8)
    labelled = []
    for label, level in rows:
        parts = label if isinstance(label, tuple | list) else (label,)
        lines = [line for part in parts if part for line in _wrap(str(part), per_line)]
        labelled.append((lines or [""], level))
    heights = [max(ROW, LINE * len(lines) + 8) for lines, _ in labelled]
    plot_height = sum(heights) or ROW
    height = plot_height + 24
    width = label_width + PLOT_WIDTH + 30
    scale = PLOT_WIDTH / max_level
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"'
        + (f' font-family="{escape(font_family)}"' if font_family else "")
        + ">"
    ]
    for level in range(max_level + 1):  # grid and axis numbers
        x = label_width + level * scale
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" '
            'stroke="#dde3ea" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 4}" font-size="10" '
            f'text-anchor="middle" fill="#5b6878">{level}</text>'
        )
    y = 0
    for (lines, level), row_height in zip(labelled, heights, strict=True):
        top = y + (row_height - LINE * len(lines)) / 2
        for number, line in enumerate(lines):
            parts.append(
                f'<text x="0" y="{top + LINE * (number + 1) - 2:.1f}" font-size="11" '
                f'fill="#1d2733">{escape(line)}</text>'
            )
        middle = y + row_height / 2
        value = level or 0
        parts.append(
            f'<rect x="{label_width}" y="{middle - BAR / 2:.1f}" width="{value * scale:.1f}" '
            f'height="{BAR}" rx="2" fill="#1f5fa8"/>'
        )
        parts.append(
            f'<text x="{label_width + value * scale + 5:.1f}" y="{middle + 4:.1f}" '
            f'font-size="11" fill="#1d2733">{value}</text>'
        )
        y += row_height
    x = label_width + target * scale
    parts.append(
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="#b3261e" '
        'stroke-width="2" stroke-dasharray="5 3"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text above is escaped)
