"""Who may order what, and the catalog search in English and Korean."""

from django.contrib.auth.models import Group

from accounts.factories import OrganisationFactory
from catalog import queries, services
from catalog.choices import ItemState
from catalog.models import CatalogItem


def test_audience(make_item, requester, other_requester, organisation):
    everyone = make_item(name="Mouse")
    finance = make_item(name="ERP licence", audience="restricted", organisations=[organisation])
    testers = Group.objects.create(name="Testers")
    grouped = make_item(name="Test phone", audience="restricted", groups=[testers])
    other_requester.groups.add(testers)
    assert set(queries.orderable_items(requester)) == {everyone, finance}
    assert set(queries.orderable_items(other_requester)) == {everyone, grouped}
    assert queries.can_order(requester, finance) and not queries.can_order(other_requester, finance)


def test_only_active_items_of_active_categories_with_a_form(make_item, manager, requester):
    active = make_item(name="Mouse")
    retired = make_item(name="Fax")
    services.item_set_state(actor=manager, item=retired, state=ItemState.RETIRED)
    draft = make_item(name="Draft", publish=False)
    hidden_category = services.category_save(actor=manager, name="Hidden", active=False)
    hidden = make_item(name="Hidden thing", category=hidden_category)
    inside_hidden = services.category_save(actor=manager, name="Child", parent=hidden_category)
    nested = make_item(name="Nested thing", category=inside_hidden)
    orderable = set(queries.orderable_items(requester))
    assert active in orderable
    assert not orderable & {retired, draft, hidden, nested}


def test_search_english_and_korean(make_item, manager, requester):
    laptop = make_item(name="New laptop", short_description="A company laptop",
                       translations={"ko": {"name": "새 노트북", "description": "업무용 노트북"}})
    vpn = make_item(name="VPN access", description="Work from home",
                    translations={"ko": {"name": "VPN 접속 권한"}})
    everything = CatalogItem.objects.all()
    assert list(queries.search_items(everything, "lapt")) == [laptop]
    assert list(queries.search_items(everything, "노트북")) == [laptop]
    assert list(queries.search_items(everything, "업무용")) == [laptop]
    assert list(queries.search_items(everything, "접속")) == [vpn]
    assert list(queries.search_items(everything, "home")) == [vpn]
    assert list(queries.search_items(everything, "vpn 권한")) == [vpn]
    assert list(queries.search_items(everything, "printer")) == []
    assert list(queries.search_items(everything, "!!!")) == []
    services.item_save(actor=manager, item=vpn, translations={"ko": {"name": "원격 접속"}})
    assert list(queries.search_items(everything, "원격")) == [vpn]


def test_categories_for_counts_orderable_items_in_two_queries(make_item, requester, django_assert_num_queries,
                                                              manager):
    make_item(name="Mouse")
    make_item(name="Keyboard")
    other = services.category_save(actor=manager, name="Software")
    make_item(name="Visio", category=other, audience="restricted",
              organisations=[OrganisationFactory(name="Elsewhere")])
    with django_assert_num_queries(2):
        categories = queries.categories_for(requester)
    assert [(c.name, c.orderable) for c in categories] == [("Hardware", 2)]
