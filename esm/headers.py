"""Response headers every page gets: a Content-Security-Policy, and no caching of what a signed-in
person sees (a shared or back-button cache must not show their tickets to the next person).

HSTS is Django's SecurityMiddleware (SECURE_HSTS_SECONDS, on behind TLS; see settings).
"""

from django.conf import settings

CSP_ATTRIBUTE = "content_security_policy"  # a view's own policy, set on its response


def content_security_policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" if value else name for name, value in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = getattr(response, CSP_ATTRIBUTE, None) or self.policy
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or "Authorization" in request.headers
        if signed_in and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
