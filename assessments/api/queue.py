"""API of the caller's work queue: the dashboard's "What needs me" for assessment work, across
every body the caller belongs to (assessments/selectors/queue.py)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from assessments.selectors.queue import KIND_VALUES, totals, work_queue


class QueueEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_VALUES)
    label = serializers.CharField()
    tenant = serializers.CharField(source="tenant_slug")
    engagement = serializers.IntegerField(source="engagement_id")
    reference = serializers.CharField()
    count = serializers.IntegerField()
    due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    url = serializers.CharField()


class QueueTotalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_VALUES)
    label = serializers.CharField()
    count = serializers.IntegerField()


class QueueSerializer(serializers.Serializer):
    totals = QueueTotalSerializer(many=True)
    entries = QueueEntrySerializer(many=True)


@extend_schema(responses=QueueSerializer, operation_id="me_queue")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_queue(request):
    """The work waiting for the caller, one entry per kind of work and engagement, with counts,
    due dates and the page to do it on; totals per kind."""
    entries = work_queue(request.user, today=timezone.localdate())
    return Response(
        QueueSerializer(
            {
                "totals": [
                    {"kind": kind, "label": label, "count": count}
                    for kind, label, count in totals(entries)
                ],
                "entries": entries,
            }
        ).data
    )
