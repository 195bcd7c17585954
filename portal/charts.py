"""SVG charts made by the portal itself: no JavaScript, no network, text escaped."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

ROW, BAR, LABEL_WIDTH, PLOT_WIDTH = 26, 14, 170, 250


def level_bars(rows, target, *, max_level=5, title="", font_family=""):
    """Horizontal bars of the level reached per row [(label, level)], with the target as a line.

    The SVG scales to its container (viewBox), so pages and PDFs can size it as they like.
    ``font_family`` names the faces of its text (PDFs pass their own font stack, so that no
    host font is used); without it the page's default applies.
    """
    height = ROW * max(len(rows), 1) + 24
    width = LABEL_WIDTH + PLOT_WIDTH + 30
    scale = PLOT_WIDTH / max_level
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"'
        + (f' font-family="{escape(font_family)}"' if font_family else "")
        + ">"
    ]
    for level in range(max_level + 1):  # grid and axis numbers
        x = LABEL_WIDTH + level * scale
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" '
            'stroke="#dde3ea" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 4}" font-size="10" '
            f'text-anchor="middle" fill="#5b6878">{level}</text>'
        )
    for index, (label, level) in enumerate(rows):
        y = index * ROW
        text = str(label)
        if len(text) > 24:
            text = text[:23] + "…"
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="11" fill="#1d2733">{escape(text)}</text>'
        )
        value = level or 0
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{value * scale:.1f}" '
            f'height="{BAR}" rx="2" fill="#1f5fa8"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + value * scale + 5:.1f}" y="{y + 16}" '
            f'font-size="11" fill="#1d2733">{value}</text>'
        )
    x = LABEL_WIDTH + target * scale
    parts.append(
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="#b3261e" '
        'stroke-width="2" stroke-dasharray="5 3"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text above is escaped)
