from .roles import can_work_tickets


def roles(request):
    user = getattr(request, "user", None)
    return {"is_agent": can_work_tickets(user)}
