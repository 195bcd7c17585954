"""Gap-free numbers per tenant, sequence and year."""

from django.db import IntegrityError, transaction

from tenants.models import Counter


def next_number(*, tenant, sequence, year) -> int:
    """The next number of the sequence; call inside the transaction that uses it.

    The counter row is locked until that transaction ends, so concurrent callers wait their
    turn; a rollback returns the number, so there are no gaps.
    """
    assert transaction.get_connection().in_atomic_block, "next_number needs a transaction"
    counters = Counter.objects.select_for_update()
    counter = counters.filter(tenant=tenant, sequence=sequence, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                Counter.objects.create(tenant=tenant, sequence=sequence, year=year, value=0)
        except IntegrityError:
            pass  # another transaction made it first; it is ours to lock now
        counter = counters.get(tenant=tenant, sequence=sequence, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value
