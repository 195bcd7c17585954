"""Tenant B's private model version, for the isolation walk."""

from django_scopes import scopes_disabled

from assessments.models import CapabilityItem, Domain, LevelRequirement, MaturityModel
from tests.factories_assessments import MaturityModelFactory, make_model_version


def populate(world, tenant_b, canary):
    model = MaturityModelFactory(tenant=tenant_b, name_en=f"{canary} model", code="b-model")
    version = make_model_version(model=model, published=False, domains=1, items_per_domain=1)
    with scopes_disabled():
        world["b_model"] = MaturityModel.objects.get(pk=model.pk)
        world["b_version"] = version
        world["b_domain"] = Domain.objects.filter(version=version).first()
        world["b_item"] = CapabilityItem.objects.filter(version=version).first()
        world["b_requirement"] = LevelRequirement.objects.filter(version=version).first()


MAKERS = {
    "version_id": lambda world: world["b_version"].pk,
    "api:model-detail/pk": lambda world: world["b_model"].pk,
    **{
        f"api:modelversion-{name}/pk": lambda world: world["b_version"].pk
        for name in ("detail", "publish", "tree", "export", "compare")
    },
    "api:domain-detail/pk": lambda world: world["b_domain"].pk,
    "api:item-detail/pk": lambda world: world["b_item"].pk,
    "api:requirement-detail/pk": lambda world: world["b_requirement"].pk,
}
