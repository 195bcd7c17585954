"""Signals other apps receive when people change. Tenants knows nothing of engagements
(assessments depends on tenants, never the reverse), so the consequences of a membership change
on engagements are the receivers' business (see assessments/receivers.py).

`membership_changed` is sent by tenants.services inside the transaction of the change, after the
membership is saved: receivers run in that transaction, so the change and its consequences
commit or fail together. Keyword arguments: `membership` (saved, with its new role,
organization and active flag), `by` (the acting membership), `previous` ({"role",
"organization_id", "is_active"} before the change).
"""

from django.dispatch import Signal

membership_changed = Signal()
