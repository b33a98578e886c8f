"""Console pages of the knowledge app (namespace ``desk-knowledge``, under /desk/knowledge/)."""

urlpatterns = []
