"""Factories of the model library and engagements."""

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from assessments.models import (
    CapabilityItem,
    Domain,
    Engagement,
    LevelRequirement,
    MaturityModel,
    ModelVersion,
)
from tests.factories import OrganizationFactory, ScopesDisabledFactory, UserFactory

LEVEL_NAMES = [
    (1, "Initial", "初始级"),
    (2, "Basic", "基础级"),
    (3, "Comprehensive", "全面级"),
    (4, "Excellent", "优秀级"),
    (5, "Outstanding", "卓越级"),
]


class MaturityModelFactory(ScopesDisabledFactory):
    class Meta:
        model = MaturityModel

    tenant = None
    code = factory.Sequence(lambda n: f"model-{n}")
    name_en = factory.Sequence(lambda n: f"Model {n}")
    name_zh = factory.Sequence(lambda n: f"模型 {n}")


def make_model_version(
    *,
    tenant=None,
    domains=2,
    items_per_domain=2,
    levels=5,
    published=True,
    model=None,
    version="1.0",
):
    """A model version with a part → domains → items tree and requirements at every level
    (two at level 1, one at each other level). Returns the version."""
    with scopes_disabled():
        model = model or MaturityModelFactory(tenant=tenant)
        mv = ModelVersion.objects.create(
            model=model,
            tenant=model.tenant,
            version=version,
            levels=[{"level": n, "name_en": en, "name_zh": zh} for n, en, zh in LEVEL_NAMES],
        )
        part = Domain.objects.create(
            version=mv, code="P", name_en="Part", name_zh="部分", depth=0, position=0
        )
        position = 0
        for d in range(domains):
            domain = Domain.objects.create(
                version=mv,
                parent=part,
                code=f"D{d}",
                name_en=f"Domain {d}",
                name_zh=f"领域 {d}",
                depth=1,
                position=d + 1,
            )
            for i in range(items_per_domain):
                position += 1
                item = CapabilityItem.objects.create(
                    version=mv,
                    domain=domain,
                    code=f"D{d}.I{i}",
                    name_en=f"Item {d}.{i}",
                    name_zh=f"能力项 {d}.{i}",
                    position=position,
                )
                requirements = []
                for level in range(1, levels + 1):
                    for k in range(2 if level == 1 else 1):
                        requirements.append(
                            LevelRequirement(
                                version=mv,
                                item=item,
                                code=f"D{d}.I{i}.L{level}.{k}",
                                level=level,
                                text_en=f"Requirement {level}.{k} of item {d}.{i}",
                                text_zh=f"能力项 {d}.{i} 的要求 {level}.{k}",
                                position=position * 100 + level * 10 + k,
                            )
                        )
                LevelRequirement.objects.bulk_create(requirements)
        mv.item_count = domains * items_per_domain
        mv.requirement_count = mv.item_count * (levels + 1)
        if published:  # content is written while a draft, as the import service does
            mv.status = ModelVersion.Status.PUBLISHED
            mv.published_at = timezone.now()
        mv.save(update_fields=["item_count", "requirement_count", "status", "published_at"])
    return mv


class EngagementFactory(ScopesDisabledFactory):
    """An engagement with every item of its model version in scope."""

    class Meta:
        model = Engagement
        skip_postgeneration_save = True

    tenant = factory.LazyAttribute(lambda e: e.organization.tenant)
    organization = factory.SubFactory(OrganizationFactory)
    model_version = factory.LazyFunction(make_model_version)
    reference = factory.Sequence(lambda n: f"ENG-2026-{n:04d}")
    title = "Continuous delivery assessment"
    target_level = 3
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def scope_all(self, create, extracted, **kwargs):
        if create and extracted is not False:
            with scopes_disabled():
                self.scope_items.set(CapabilityItem.objects.filter(version=self.model_version))
