"""The demo's surveys: policies, answered surveys over months, teams and agents, some low scores; idempotent."""

import pytest
from django.db.models.functions import TruncMonth

from incidents.demo import seed_demo
from servicedesk.models import Notification
from surveys import demo
from surveys.models import Survey, SurveyPolicy


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_surveys(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(incidents=120)
        counts = demo.seed()
    assert SurveyPolicy.objects.filter(kind="incident", active=True).exists()
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert counts["answered"] == answered.count() > 20
    assert answered.values("team").distinct().count() >= 3
    assert answered.values("agent").distinct().count() >= 4
    assert answered.annotate(m=TruncMonth("answered_at")).values("m").distinct().count() >= 2
    assert answered.filter(score__lte=2).exists()
    assert all(s.answered_at >= s.invited_at >= s.resolved_at for s in answered)
    assert not Notification.objects.filter(reason__startswith="survey_", sent_at__isnull=True).exists()
    assert demo.seed() == {}
