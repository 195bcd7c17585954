"""Workflow buttons speak the reader's language (issue 15, deliverable 5)."""

from django.utils import translation

from assessments import workflow


def test_transition_labels_follow_the_active_language():
    label = next(t.label for t in workflow.TRANSITIONS if t.target == "planning")
    with translation.override("zh-hans"):
        chinese = str(label)
    with translation.override("en"):
        english = str(label)
    assert english == "Start planning"
    assert chinese != english


def test_cancelling_is_asked_twice_and_set_apart(tenant, client_for):
    from django.urls import reverse

    from tests.engagement_world import advance, build_world

    world = build_world(tenant)
    advance(world, "planning")
    html = (
        client_for(world.admin)
        .get(reverse("assessments:engagement_detail", args=["acme", world.engagement.pk]))
        .content.decode()
    )
    apart = html[html.index('class="danger-zone"') :]
    assert 'value="cancelled"' in apart and "data-confirm=" in apart
    assert 'value="cancelled"' not in html[: html.index('class="danger-zone"')]
