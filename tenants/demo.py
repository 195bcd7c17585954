"""Demo data: one assessment body, two clients and one person for each role.

Idempotent: a second run finds what the first made and changes nothing. Passwords are random,
printed once when an account is made, and kept in var/demo-logins.txt (readable by its owner
only) so that they can be looked up again.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_scopes import scopes_disabled

from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role
from tenants.validators import uscc_check_character

DEMO_TENANT = {
    "slug": "demo",
    "name": "Demo Assessment Body",
    "name_zh": "演示评估机构",
    "certificate_prefix": "DAB",
    "address": "北京市西城区示例街8号 (8 Example Street, Xicheng District, Beijing)",
    "accreditation_body": "DEMO accreditation (not a real accreditation)",
    "accreditation_number": "DEMO-0001",
}


def _uscc(first17):
    return first17 + uscc_check_character(first17)


DEMO_ORGANIZATIONS = [
    {
        "legal_name": "北京示例科技有限公司",
        "english_name": "Beijing Example Technology Co., Ltd.",
        "registration_id": _uscc("91110108MA01ABCD2"),
        "contact_name": "王伟",
        "contact_email": "devops@example-tech.cn",
        "address": "北京市海淀区中关村大街1号",
    },
    {
        "legal_name": "Shanghai Sample Software Co., Ltd.",
        "english_name": "Shanghai Sample Software Co., Ltd.",
        "registration_id": _uscc("91310115MA1K4XY73"),
        "contact_name": "Li Na",
        "contact_email": "quality@sample-software.cn",
        "address": "Pudong, Shanghai",
    },
]

# (email, first name, last name, role, index of the organization for client people)
DEMO_PEOPLE = [
    ("tenant-admin@demo.test", "Tara", "Admin", Role.TENANT_ADMIN, None),
    ("lead-assessor@demo.test", "Liang", "Lead", Role.ASSESSOR, None),
    ("assessor@demo.test", "Ada", "Assessor", Role.ASSESSOR, None),
    ("reviewer@demo.test", "Rui", "Reviewer", Role.REVIEWER, None),
    ("officer@demo.test", "Olga", "Officer", Role.OFFICER, None),
    ("client-admin@demo.test", "Chen", "Client", Role.CLIENT_ADMIN, 0),
    ("contributor@demo.test", "Zhou", "Contributor", Role.CLIENT_CONTRIBUTOR, 0),
]
PLATFORM_ADMIN = "platform-admin@demo.test"


def logins_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.txt"


def _new_password():
    return "demo-" + secrets.token_urlsafe(9)


def _record(lines, email, password, what):
    lines.append(f"{what:<28} {email:<32} {password}")


@transaction.atomic
def load(write=print):
    """Create the demo tenant, organizations and people that are missing."""
    created = []
    with scopes_disabled():
        tenant, _ = Tenant.objects.get_or_create(
            slug=DEMO_TENANT["slug"], defaults=dict(DEMO_TENANT)
        )
        organizations = []
        for data in DEMO_ORGANIZATIONS:
            organization, _ = Organization.objects.get_or_create(
                tenant=tenant,
                registration_type="uscc",
                registration_id=data["registration_id"],
                defaults=data,
            )
            organizations.append(organization)

        if not User.objects.filter(email=PLATFORM_ADMIN).exists():
            password = _new_password()
            User.objects.create_superuser(
                PLATFORM_ADMIN, password, first_name="Platform", last_name="Admin"
            )
            _record(created, PLATFORM_ADMIN, password, "platform admin")

        for email, first, last, role, org_index in DEMO_PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                password = _new_password()
                user = User.objects.create_user(email, password, first_name=first, last_name=last)
                label = "lead assessor" if email.startswith("lead") else Role(role).label
                _record(created, email, password, str(label).lower())
            Membership.objects.get_or_create(
                tenant=tenant,
                user=user,
                defaults={
                    "role": role,
                    "organization": organizations[org_index] if org_index is not None else None,
                },
            )
    if created:
        header = "Demo logins (shown once; also kept in var/demo-logins.txt):"
        path = logins_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write("\n".join(created) + "\n")
        path.chmod(0o600)
        write(header)
        for line in created:
            write("  " + line)
    else:
        write(f"Demo data already loaded; logins are in {logins_file()}.")
    return tenant
