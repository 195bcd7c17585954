from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from assessments import receivers  # noqa: F401  (connects the signal receivers)
        from portal import dashboard

        dashboard.register(applications_to_review)
        dashboard.register(work_queue_panel)


def applications_to_review(request):
    """The dashboard's "What needs me": submitted applications awaiting the contract review of
    the bodies this person administers (one query, whatever the number of bodies)."""
    if not request.user.is_authenticated:
        return None
    from assessments.selectors.applications import awaiting_review

    applications = awaiting_review(request.user)
    if not applications:
        return None
    return "assessments/applications/what_needs_me.html", {"applications": applications}


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
