"""Factories for CIs and relationships, shared by tests, seed_demo and the benchmark generators."""

import factory

from .choices import BUSINESS_SERVICE_CLASS
from .models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType


class CIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"ci-{n:05d}")
    ci_class = factory.LazyFunction(lambda: CIClass.objects.get(slug="server"))


class ServiceFactory(CIFactory):
    name = factory.Sequence(lambda n: f"Service {n}")
    ci_class = factory.LazyFunction(lambda: CIClass.objects.get(slug=BUSINESS_SERVICE_CLASS))


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    source = factory.SubFactory(CIFactory)
    target = factory.SubFactory(CIFactory)
    type = factory.LazyFunction(lambda: RelationshipType.objects.get(slug="depends_on"))


class RedundancyGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RedundancyGroup

    name = factory.Sequence(lambda n: f"group {n}")
    ci = factory.SubFactory(CIFactory)
    min_up = 1
