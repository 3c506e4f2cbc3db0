from channels.routing import URLRouter
from django.urls import path

from .auth import websocket_stack
from .consumers import EventConsumer

websocket_urlpatterns = [path("ws/", EventConsumer.as_asgi())]
# Origin check + session auth wrap the router here, so `config/asgi.py` stays as it is.
websocket_application = websocket_stack(URLRouter(websocket_urlpatterns))
