from django.core.management import call_command
from django_scopes import scopes_disabled

from certificates.models import Certificate, Report
from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role


def test_demo_data_loads_once_and_twice_duplicates_nothing(db, pdf_settings, tmp_path, capsys):
    settings = pdf_settings
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    second = capsys.readouterr().out
    with scopes_disabled():
        assert Tenant.objects.get().name == "Demo Assessment Body"
        assert Organization.objects.count() == 2
        roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    assert User.objects.filter(is_superuser=True).count() == 1
    assert "tenant-admin@demo.test" in first and "demo-" in first
    assert "already loaded" in second
    assert (tmp_path / "demo-logins.txt").read_text().count("@demo.test") == 8
    with scopes_disabled():
        certificate = Certificate.objects.get()  # the certified engagement, once
        assert certificate.status == "active" and certificate.pdf
        assert Report.objects.get().status == "ready"
    assert f"certificate {certificate.number} issued" in first
