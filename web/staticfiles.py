"""`/static/` under the ASGI servers (uvicorn, daphne) with DEBUG off: WhiteNoise, adapted.

Django serves static files only under `runserver` with DEBUG on, so under `make run` the admin,
the browsable API, `/api/docs/` (drf-spectacular-sidecar's Swagger UI) and the realtime client
(`web/static/collective/`) had no CSS or scripts. WhiteNoise serves them from the apps' static
directories (`WHITENOISE_USE_FINDERS`: no `collectstatic` step) and from STATIC_ROOT when a
deployment ran `collectstatic`, with its caching headers, ETag/304 and Range handling.

Two changes to `WhiteNoiseMiddleware`:
- the response is a plain `HttpResponse` holding the file's bytes, read on the request's thread.
  WhiteNoise answers with a `FileResponse` (a synchronous iterator), which Django's ASGI handler
  can only stream by hopping to a thread per chunk, warning "StreamingHttpResponse must consume
  synchronous iterators" on every process. Static files here are small (the largest, Swagger
  UI's bundle, is 1.5 MB).
- a STATIC_ROOT that does not exist (no `collectstatic` was run: the usual case) is skipped
  without the "No directory at" warning.
"""

from __future__ import annotations

import os

from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    def add_files(self, root, prefix=None):
        if not self.autorefresh and not os.path.isdir(root):
            return
        super().add_files(root, prefix)

    @staticmethod
    def serve(static_file, request):
        response = static_file.get_response(request.method, request.META)
        body = b""
        if response.file is not None:
            try:
                body = response.file.read()
            finally:
                response.file.close()
        http_response = HttpResponse(body, status=int(response.status))
        del http_response["Content-Type"]
        for key, value in response.headers:
            http_response[key] = value
        return http_response
