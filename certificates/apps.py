from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self):
        from assessments.workflow import review_blockers
        from certificates.review_services import review_blocker

        review_blockers.connect(review_blocker, dispatch_uid="certificates.client_review")
