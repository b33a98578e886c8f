"""Forms of the console's change pages (``desk``) and of the change managers' pages (``manage``)."""
