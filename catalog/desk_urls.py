"""Console pages of the catalog editor (namespace ``desk-catalog``, under /desk/catalog/)."""

urlpatterns = []
