"""Console pages of requests and fulfilment tasks (namespace ``desk-requests``, under /desk/requests/)."""

urlpatterns = []
