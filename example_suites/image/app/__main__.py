"""A minimal HTTP service with a health endpoint."""

from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()


HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
