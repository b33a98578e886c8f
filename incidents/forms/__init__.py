"""Forms of the incident pages: the console's (``desk``) and the portal's (``portal``)."""
