from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self):
        from assessments.workflow import review_blockers
        from certificates.review_services import review_blocker

        review_blockers.connect(review_blocker, dispatch_uid="certificates.client_review")
        from portal import dashboard

        dashboard.register(what_needs_me)


def what_needs_me(request):
    """The dashboard's list of programme visits due soon or overdue, and of complaints and
    appeals to assign or to answer, for this person."""
    from django.utils import timezone

    from certificates.selectors import cases_needing, what_needs

    if not request.user.is_authenticated:
        return None
    today = timezone.localdate()
    visits = what_needs(request.user, today=today)
    cases = cases_needing(request.user, today=today)
    if not visits and not cases:
        return None
    return "certificates/what_needs_me.html", {"visits": visits, "cases": cases, "today": today}
