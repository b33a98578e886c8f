"""The admin shows the catalog read-only (writes go through the editor and the API)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.factories import UserFactory
from catalog.models import CatalogItem, FormVersion, FulfilmentTask, Question, RequestedItem, ServiceRequest


@pytest.mark.parametrize("model", [CatalogItem, FormVersion, RequestedItem, ServiceRequest, FulfilmentTask])
def test_catalog_admin_pages_open_read_only(client, make_item, model):
    item = make_item()
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get(reverse(f"admin:catalog_{model._meta.model_name}_changelist")).status_code == 200
    model_admin = admin.site._registry[model]
    request = type("Request", (), {"user": superuser})()
    assert not model_admin.has_add_permission(request) and not model_admin.has_change_permission(request)
    page = client.get(reverse("admin:catalog_formversion_change", args=[item.current_form_id]))
    assert page.status_code == 200 and Question.objects.filter(form=item.current_form).first().label in \
        page.content.decode()
