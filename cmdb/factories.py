import factory

from .choices import BUSINESS_SERVICE_CLASS
from .models import CIClass, ConfigurationItem


class CIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"ci-{n:05d}")
    ci_class = factory.LazyFunction(lambda: CIClass.objects.get(slug="server"))


class ServiceFactory(CIFactory):
    name = factory.Sequence(lambda n: f"Service {n}")
    ci_class = factory.LazyFunction(lambda: CIClass.objects.get(slug=BUSINESS_SERVICE_CLASS))
