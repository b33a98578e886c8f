from django.http import HttpResponse


def queue(request):
    return HttpResponse("portal")


def ticket_detail(request, number):
    return HttpResponse(number)
