"""Every route of the URLconf, with the names of its arguments, for tests that walk them all."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, for reverse()
    kwargs: tuple[str, ...]
    route: str  # the pattern text, for messages

    @property
    def is_api(self):
        return self.route.startswith("api/")


def _kwarg_names(pattern):
    regex = pattern.pattern.regex
    return tuple(regex.groupindex)


def all_routes(resolver=None, prefix="", namespace=None, kwargs=()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        names = kwargs + _kwarg_names(entry)
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = ":".join(filter(None, [namespace, ns])) if ns else namespace
            yield from all_routes(entry, text, full_ns, names)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name=name, kwargs=names, route=text)
