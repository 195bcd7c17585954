"""factory_boy factories for the test data of every app."""

import factory
from django_scopes import scopes_disabled

from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role
from tenants.validators import uscc_check_character


class ScopesDisabledFactory(factory.django.DjangoModelFactory):
    """Tests make rows of any tenant; creating them is not a read through the scoped manager."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Assessment Body {n}")
    slug = factory.Sequence(lambda n: f"body-{n}")
    certificate_prefix = factory.Sequence(lambda n: f"AB{n:03d}")


def make_uscc(n: int) -> str:
    first17 = f"91110000MA{n:07d}"
    return first17 + uscc_check_character(first17)


class OrganizationFactory(ScopesDisabledFactory):
    class Meta:
        model = Organization

    tenant = factory.SubFactory(TenantFactory)
    legal_name = factory.Sequence(lambda n: f"示例科技有限公司 {n}")
    english_name = factory.Sequence(lambda n: f"Example Technology {n} Co., Ltd.")
    registration_type = "uscc"
    registration_id = factory.Sequence(make_uscc)
    contact_email = factory.Sequence(lambda n: f"contact{n}@client.test")


class MembershipFactory(ScopesDisabledFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TENANT_ADMIN
    organization = factory.Maybe(
        factory.LazyAttribute(lambda m: m.role in ("client_admin", "client_contributor")),
        yes_declaration=factory.SubFactory(
            OrganizationFactory, tenant=factory.SelfAttribute("..tenant")
        ),
        no_declaration=None,
    )
