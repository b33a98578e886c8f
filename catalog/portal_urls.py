"""Portal pages of the catalog: browse, search, an item's order form (joined into ``portal``)."""

urlpatterns = []
