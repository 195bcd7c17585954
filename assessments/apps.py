from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from assessments import receivers  # noqa: F401  (connects the signal receivers)
        from portal import dashboard

        dashboard.register(work_queue_panel)


def work_queue_panel(request):
    """The dashboard's queue of assessment work waiting for this person (evidence to judge,
    items to rate, reviews, decisions, requests and nonconformities to answer or verify)."""
    from django.utils import timezone

    from assessments.selectors.queue import totals, work_queue

    if not request.user.is_authenticated:
        return None
    entries = work_queue(request.user, today=timezone.localdate())
    if not entries:
        return None
    return "assessments/work_queue.html", {"entries": entries, "totals": totals(entries)}
