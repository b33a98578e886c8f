"""Forms of the catalog: the portal's order form built from a form version (``portal``) and the
console editor's forms (``editor``). They parse input; the forms engine and the services decide."""
