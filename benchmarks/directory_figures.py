"""The public directory and the daily programme task among 100,000 certificates, on PostgreSQL.

* ``directory_search_ms_100000`` — a name search of the directory as the page and the API make
  it (the query form, the search with a cache miss: page of 20 and its count, the rows shaped
  for display) among 100,000 certificates of 10 bodies, 8 of which publish, 90% of their
  organizations consenting; median, timed in alternation with
* ``bare_directory_search_ms_100000`` — the same two statements (same joins, filters, order and
  limit, the same trigram-indexed LIKE) through a bare cursor, rows as tuples;
* ``directory_vs_bare_ratio`` — the median of their ratio (at most 1.5);
* ``directory_search_queries`` — queries of one uncached search (the same whatever it finds);
* ``directory_plan_uses_trigram_index`` — 1 when PostgreSQL's plan of the count reads the pg_trgm
  index;
* ``programme_sweep_s_100000`` — the daily task (`programme.sweep`, emails not sent: they are
  their own tasks) when each of the 100,000 certificates has a visit whose day has come (the
  live ones, 90%, are opened; 10% are also overdue and flagged): a whole backlog at once;
* ``programme_sweep_open_queries_per_batch`` / ``programme_sweep_flag_queries_per_batch`` —
  queries of a batch of up to 500 visits opened / flagged (the largest), and
  ``…_batch_queries_spread``, the largest minus the smallest (0: constant);
* ``programme_sweep_second_run_opened`` / ``programme_sweep_second_run_s`` — the task run again
  the same day opens nothing.

PostgreSQL: when the run's database is SQLite, these figures run in a child process against a
database made for it on the server of `BENCH_POSTGRES_URL` (default: the one
`scripts/postgres.sh start` serves, which `make bench` starts), dropped afterwards. Without a
reachable server they are skipped with a note.
"""

import datetime
import os
import subprocess
import sys
import time
from contextlib import contextmanager

from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks.timing import paired_ms

COUNT = 100_000
BODIES = 10
PUBLISHING = 8
CHUNK = 5_000
DEFAULT_URL = "postgres://assay:assay@127.0.0.1:5433/assay"
CITIES = [
    "北京",
    "上海",
    "深圳",
    "广州",
    "杭州",
    "成都",
    "武汉",
    "南京",
    "西安",
    "苏州",
    "天津",
    "重庆",
    "长沙",
    "郑州",
    "青岛",
    "厦门",
    "合肥",
    "宁波",
    "无锡",
    "济南",
]
WORDS = [
    "华为",
    "星辰",
    "远航",
    "博创",
    "智联",
    "天成",
    "恒通",
    "云图",
    "数安",
    "金桥",
    "海纳",
    "卓越",
    "启明",
    "鼎新",
    "易达",
    "瑞丰",
    "中科",
    "新元",
    "汇通",
    "长风",
]
ENGLISH = [
    "Acme",
    "Apex",
    "Atlas",
    "Beacon",
    "Boreal",
    "Cascade",
    "Cobalt",
    "Crest",
    "Delta",
    "Ember",
    "Falcon",
    "Fjord",
    "Granite",
    "Harbor",
    "Helix",
    "Horizon",
    "Indigo",
    "Iris",
    "Juniper",
    "Keystone",
    "Lumen",
    "Magnet",
    "Meridian",
    "Nimbus",
    "Nova",
    "Onyx",
    "Orbit",
    "Pioneer",
    "Prism",
    "Quartz",
    "Radiant",
    "Ridge",
    "Sable",
    "Sierra",
    "Solstice",
    "Summit",
    "Tandem",
    "Tidal",
    "Titan",
    "Umbra",
    "Vanguard",
    "Vertex",
    "Vista",
    "Willow",
    "Xenon",
    "Yarrow",
    "Zenith",
    "Zephyr",
    "Aurora",
    "Borealis",
]


def figures():
    if connection.vendor != "postgresql":
        yield from _in_postgresql_child()
        return
    world = _world()
    yield from _directory_figures(world)
    yield from _sweep_figures()


# --- A child process on PostgreSQL --------------------------------------------------------------


def _in_postgresql_child():
    import psycopg

    url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_URL)
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(
            f"# directory figures skipped: no PostgreSQL at {url} ({error.__class__.__name__}); "
            "scripts/postgres.sh start, or set BENCH_POSTGRES_URL",
            file=sys.stderr,
        )
        return
    name = f"assay_bench_{os.getpid()}"
    base, _, _ = url.rpartition("/")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": f"{base}/{name}"}
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks", "directory_figures"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        for line in child.stdout.splitlines():
            figure, _, rest = line.partition(": ")
            value, _, unit = rest.partition(" ")
            yield figure, _number(value), unit
        if child.returncode:
            print(f"# directory figures: child exited {child.returncode}", file=sys.stderr)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


# --- 100,000 certificates -----------------------------------------------------------------------


def _world():
    """10 bodies, 50,000 organizations, 100,000 certificates (each its own engagement with one
    scope item) and a due visit each, made with bulk_create."""
    from assessments.model_format import load_model
    from assessments.models import CapabilityItem, Engagement
    from assessments.services import library
    from benchmarks.library_figures import synthetic_model
    from certificates.models import Certificate, ProgrammeVisit
    from tenants.models import Organization, Tenant, User
    from tenants.validators import uscc_check_character

    started = time.perf_counter()
    today = timezone.localdate()
    with scopes_disabled():
        version = library.import_model_document(
            document=load_model(synthetic_model("bench-directory", 4, per_domain=2))
        )
        library.publish_version(version=version)
        item = CapabilityItem.objects.filter(domain__version=version).first()
        user = User.objects.create(email="officer@bench-directory.test")
        tenants = [
            Tenant.objects.create(
                name=f"Bench Body {b}",
                name_zh=f"基准认证机构{b}",
                slug=f"bench-dir-{b}",
                certificate_prefix=f"BD{b:02d}",
                publish_directory=b < PUBLISHING,
            )
            for b in range(BODIES)
        ]
        organizations = []
        for n in range(COUNT // 2):
            first17 = f"91110000MA{n:07d}"
            city, word = CITIES[n % 20], WORDS[(n // 20) % 20]
            organizations.append(
                Organization(
                    tenant=tenants[n % BODIES],
                    legal_name=f"{city}{word}科技有限公司{n}",
                    english_name=f"{ENGLISH[n % len(ENGLISH)]} "
                    f"{ENGLISH[(n // len(ENGLISH)) % len(ENGLISH)]} Technology {n} Co., Ltd.",
                    registration_id=first17 + uscc_check_character(first17),
                    directory_consent=n % 10 != 0,
                )
            )
        organizations = Organization.objects.bulk_create(organizations, batch_size=CHUNK)
        statuses = ["active"] * 17 + ["suspended", "withdrawn", "expired"]
        through = Engagement.scope_items.through
        for start in range(0, COUNT, CHUNK):
            engagements, certificates = [], []
            for n in range(start, start + CHUNK):
                organization = organizations[n // 2]
                tenant = tenants[(n // 2) % BODIES]
                engagements.append(
                    Engagement(
                        tenant=tenant,
                        reference=f"BULK-{n:06d}",
                        organization=organization,
                        model_version=version,
                        target_level=3,
                        state=Engagement.State.CLOSED,
                        created_by=user,
                    )
                )
            Engagement.objects.bulk_create(engagements)
            through.objects.bulk_create(
                [through(engagement_id=e.pk, capabilityitem_id=item.pk) for e in engagements]
            )
            for n, engagement in zip(range(start, start + CHUNK), engagements, strict=True):
                organization = organizations[n // 2]
                certificate = Certificate(
                    tenant=engagement.tenant,
                    engagement=engagement,
                    organization=organization,
                    model_version=version,
                    number=f"{engagement.tenant.certificate_prefix}-2026-{n:06d}",
                    organization_name=organization.legal_name,
                    organization_name_en=organization.english_name,
                    model_name_en="Synthetic model",
                    model_name_zh="合成模型",
                    scope=[{"code": f"D{n % 2}", "name_en": "Domain", "name_zh": "领域"}],
                    level=1 + n % 5,
                    level_name_en="Level",
                    level_name_zh="级",
                    issued_on=today - datetime.timedelta(days=300),
                    original_issued_on=today - datetime.timedelta(days=300 + n % 700),
                    expires_on=today + datetime.timedelta(days=800),
                    status=statuses[n % 20],
                    issued_by=user,
                )
                certificate.directory_keys()  # what save() does; bulk_create calls no save()
                certificates.append(certificate)
            Certificate.objects.bulk_create(certificates)
            ProgrammeVisit.objects.bulk_create(
                [
                    ProgrammeVisit(
                        tenant=c.tenant,
                        certificate=c,
                        kind=ProgrammeVisit.Kind.SURVEILLANCE,
                        sequence=1,
                        opens_on=today - datetime.timedelta(days=40),
                        # one in ten is past due: opened and flagged overdue
                        due_on=today - datetime.timedelta(days=1 if n % 10 == 3 else -20),
                    )
                    for n, c in zip(range(start, start + CHUNK), certificates, strict=True)
                ]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"# directory: 100,000 certificates made in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return {"today": today}


# --- The directory ------------------------------------------------------------------------------


@contextmanager
def _counting():
    counted = []

    def count(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counted


BARE_WHERE = """
    FROM certificates_certificate c
    JOIN tenants_tenant t ON t.id = c.tenant_id
    JOIN tenants_organization o ON o.id = c.organization_id
    WHERE t.publish_directory AND t.is_active AND o.directory_consent
      AND c.status IN ('active', 'suspended', 'withdrawn', 'expired')
      AND c.search_key LIKE %s
"""
BARE_PAGE = f"""
    SELECT c.number, c.base_number, c.organization_name, c.organization_name_en, t.name,
           t.name_zh, t.slug, m.code, c.model_name_en, c.model_name_zh, c.standard_identifier,
           c.level, c.level_name_en, c.level_name_zh, c.scope, c.issued_on, c.original_issued_on,
           c.expires_on, c.status
    {
    BARE_WHERE.replace(
        "WHERE",
        '''JOIN assessments_modelversion v ON v.id = c.model_version_id
    JOIN assessments_maturitymodel m ON m.id = v.model_id
    WHERE''',
    )
}
    ORDER BY c.organization_name, c.number LIMIT 20
"""
BARE_COUNT = f"SELECT count(*) {BARE_WHERE}"


def _directory_figures(world):
    from certificates import directory

    # An English word of one name in 25 (first or second word): 3,960 certificates, 3,360 listed.
    query = {"q": "Zenith"}

    def search():
        form = directory.DirectoryQuery(query)
        assert form.is_valid(), form.errors
        return directory.search(form.filters(), page=1)

    def bare():
        pattern = "%" + directory.fold(query["q"]) + "%"
        with connection.cursor() as cursor:
            cursor.execute(BARE_COUNT, [pattern])
            count = cursor.fetchone()[0]
            cursor.execute(BARE_PAGE, [pattern])
            return count, cursor.fetchall()

    with override_settings(DIRECTORY_CACHE_SECONDS=0):  # every search misses the cache
        answer = search()
        count, rows = bare()
        assert answer["count"] == count and len(answer["results"]) == len(rows) == 20, (
            answer["count"],
            count,
        )
        assert [r["certificate_number"] for r in answer["results"]] == [r[0] for r in rows]
        with _counting() as counted:
            search()
        queries = len(counted)
        ours, theirs, ratio = paired_ms(search, bare, runs=40)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + BARE_COUNT, ["%" + directory.fold(query["q"]) + "%"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    yield "directory_search_ms_100000", round(ours, 2), "ms"
    yield "bare_directory_search_ms_100000", round(theirs, 2), "ms"
    yield "directory_vs_bare_ratio", round(ratio, 3), "x"
    yield "directory_search_queries", queries, "queries"
    yield "directory_search_matches_100000", answer["count"], "certificates"
    yield "directory_plan_uses_trigram_index", int("certificate_search_key_trgm" in plan), "bool"


# --- The daily task -----------------------------------------------------------------------------


def _sweep_figures():
    from django.contrib.contenttypes.models import ContentType

    from certificates.models import ProgrammeVisit
    from certificates.services import programme

    batches, current = {"open": [], "flag": []}, None

    def count(execute, sql, params, many, context):
        nonlocal current
        if "SKIP LOCKED" in sql:  # each batch starts with its locked read
            current = [0]
            flagging = '"overdue_since" IS NULL' in sql
            batches["flag" if flagging else "open"].append(current)
        if current is not None:
            current[0] += 1
        return execute(sql, params, many, context)

    ContentType.objects.get_for_model(ProgrammeVisit)  # the process's cache, warm as in a worker
    with scopes_disabled(), connection.execute_wrapper(count):
        started = time.perf_counter()
        first = programme.sweep(send=False)
        seconds = time.perf_counter() - started
    with scopes_disabled():
        started = time.perf_counter()
        second = programme.sweep(send=False)
        again = time.perf_counter() - started
    yield "programme_sweep_s_100000", round(seconds, 2), "s"
    yield "programme_sweep_opened_100000", first.opened, "visits"
    yield "programme_sweep_overdue_100000", first.overdue, "visits"
    for kind, made in batches.items():
        full = [b[0] for b in made if b[0] > 1]  # an empty batch is its locked read alone
        yield f"programme_sweep_{kind}_batches", len(full), "batches"
        yield f"programme_sweep_{kind}_queries_per_batch", max(full), "queries"
        yield f"programme_sweep_{kind}_batch_queries_spread", max(full) - min(full), "queries"
    yield "programme_sweep_second_run_opened", second.opened + second.overdue, "visits"
    yield "programme_sweep_second_run_s", round(again, 3), "s"
