"""Incidents are made through ``incident_open`` so that test data obeys the same rules as real data."""

import factory

from accounts.factories import UserFactory

from .choices import Channel


class IncidentFactory(factory.Factory):
    """``IncidentFactory(requester=…, actor=…)`` returns the Ticket of a new incident."""

    class Meta:
        model = dict

    title = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    impact = 3
    urgency = 2
    channel = Channel.PORTAL
    requester = factory.SubFactory(UserFactory)
    actor = factory.SelfAttribute("requester")

    @classmethod
    def _create(cls, model_class, **kwargs):
        from .services import incident_open

        return incident_open(**kwargs)

    _build = _create
