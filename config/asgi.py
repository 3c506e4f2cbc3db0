"""ASGI entry point: HTTP through Django, WebSocket `/ws/` through the realtime consumer."""

import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain and the view run together in the
    request's thread, as under WSGI.

    Stock Django runs each sync middleware hook (`process_request`, `process_response`, ...) of
    an ASGI request through its own `sync_to_async` hop: with our seven middlewares that is a
    dozen hops between the event loop and the request's thread per request, which the delivery
    benchmark's profile showed costing more than the view itself (docs/benchmarks.md). The API
    views are sync, so one hop for the whole chain does the same work. The middlewares, their
    order and what they do are unchanged; an async view (health check) still works, called
    with `async_to_sync` from the request's thread, as under WSGI."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # ASGIHandler.handle runs this in a ThreadSensitiveContext: one thread for this request.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django_asgi_app = OneHopASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
