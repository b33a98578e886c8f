"""Portal pages of a person's requests (joined into ``portal``)."""

urlpatterns = []
