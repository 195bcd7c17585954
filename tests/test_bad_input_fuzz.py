"""Hostile JSON thrown at the API: whatever its shape, the answer is a JSON 4xx/2xx, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, -(10**30), 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),
    st.sampled_from(["\x00", "a\x00b", "9" * 40, "-" + "9" * 40, "../../etc/passwd", "x" * 5000]),
)
VALUES = st.recursive(
    HOSTILE_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "legal_name",
    "registration_type",
    "registration_id",
    "email",
    "role",
    "organization",
    "engagement",
    "model_version",
    "target_level",
    "scope",
    "items",
    "accept",
    "note",
    "page",
    "page_size",
]
BODIES = st.one_of(
    VALUES,
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6),
)
ENDPOINTS = ["organizations/", "memberships/", "engagements/", "assignments/", "findings/"]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(api_for, admin_membership):
    return api_for(admin_membership)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=BODIES)
def test_hostile_json_bodies_get_a_json_answer_below_500(api, tenant, endpoint, body):
    response = api.generic(
        "POST",
        f"/api/v1/t/{tenant.slug}/{endpoint}",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    response.json()


DEEP = st.tuples(st.integers(1, 20_000), st.sampled_from(["[", '{"a":', '[{"b":'])).map(
    lambda shape: shape[1] * shape[0]
)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), raw=st.one_of(st.text(max_size=200), DEEP))
@example(endpoint="organizations/", raw="[" * 5000)
def test_malformed_json_text_gets_a_json_answer_below_500(api, tenant, endpoint, raw):
    response = api.generic(
        "POST", f"/api/v1/t/{tenant.slug}/{endpoint}", raw, content_type="application/json"
    )
    assert response.status_code < 500
    response.json()


@FUZZ
@given(
    endpoint=st.sampled_from([*ENDPOINTS, "evidence/", "items/", "nonconformities/"]),
    params=st.dictionaries(
        st.sampled_from(
            ["items", "item", "engagement", "organization", "domain", "status", "page", "page_size"]
        ),
        st.one_of(st.text(max_size=20), st.integers().map(str), st.just("9" * 40)),
        max_size=3,
    ),
)
@example(endpoint="evidence/", params={"items": "9" * 40})
def test_hostile_query_parameters_get_a_json_answer_below_500(api, tenant, endpoint, params):
    response = api.get(f"/api/v1/t/{tenant.slug}/{endpoint}", params)
    assert response.status_code < 500
    response.json()
