"""Panels of the dashboard contributed by higher apps (docs/architecture.md, "Apps and their
dependency direction": portal imports no app above it; an app registers its panel in its
`AppConfig.ready()`)."""

PANELS = []


def register(panel):
    """`panel(request)` returns (template name, context) or None when it has nothing to show."""
    if panel not in PANELS:
        PANELS.append(panel)
    return panel


def panels_for(request):
    shown = []
    for panel in PANELS:
        answer = panel(request)
        if answer:
            shown.append(answer)
    return shown
