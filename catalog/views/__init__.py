"""Pages of the catalog: the portal's catalog (``portal``) and the console editor (``editor``)."""
