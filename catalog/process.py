"""How requests (REQ) and fulfilment tasks (TASK) plug into the service desk (servicedesk/registry.py)."""


def register() -> None:
    """Registers the request and task processes, their notes and notification reasons."""
