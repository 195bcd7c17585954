from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self):
        from assessments.workflow import review_blockers
        from certificates.review_services import review_blocker

        review_blockers.connect(review_blocker, dispatch_uid="certificates.client_review")
        from portal import dashboard

        dashboard.register(what_needs_me)
        from django.db.models.signals import post_save

        from certificates.models import Certificate
        from tenants.models import Organization, Tenant

        for model in (Certificate, Organization, Tenant):
            post_save.connect(
                directory_changed, sender=model, dispatch_uid=f"directory.{model.__name__}"
            )


def directory_changed(sender, **kwargs):
    """A saved certificate, organization or body may change what the public directory lists:
    its cached answers are dropped now and again once the change is committed (a search between
    the two may have cached what was still committed then; certificates/directory.py)."""
    from django.db import transaction

    from certificates import directory

    directory.forget()
    transaction.on_commit(directory.forget)


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
