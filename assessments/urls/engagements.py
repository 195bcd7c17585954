"""Web routes of engagements (included under /t/<tenant>/)."""

from django.urls import path

from assessments.views import engagements as views

E = "engagements/<int:engagement_id>/"

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path(E, views.engagement_detail, name="engagement_detail"),
    path(E + "edit/", views.engagement_edit, name="engagement_edit"),
    path(E + "transition/", views.engagement_transition, name="engagement_transition"),
    path(E + "team/", views.engagement_team, name="engagement_team"),
    path(
        E + "team/<int:assignment_id>/remove/",
        views.engagement_unassign,
        name="engagement_unassign",
    ),
    path(E + "timeline/", views.engagement_timeline, name="engagement_timeline"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path(
        "conflicts/<int:conflict_id>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"
    ),
]
