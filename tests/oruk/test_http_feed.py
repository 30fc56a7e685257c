"""Reading a live ORUK API from a local HTTP server on loopback: the paged /services list,
then each /services/{id}; a size cap and a timeout; errors name the address."""

from __future__ import annotations

import copy
import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from gpequity.oruk import FeedError, page_envelope, plan_import, read_source

from .test_oruk import example


def _services(n: int) -> list[dict]:
    out = []
    for i in range(n):
        doc = copy.deepcopy(example("service_full"))
        doc["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"live{i}"))
        doc["name"] = f"Live service {i}"
        out.append(doc)
    return out


class Feed(BaseHTTPRequestHandler):
    services: list[dict] = []
    requests: list[str] = []
    version = "HSDS-UK-3.0"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        type(self).requests.append(url.path)
        by_id = {s["id"]: s for s in self.services}
        if url.path == "/api/":
            return self._send(200, {"version": self.version})
        if url.path == "/api/services":
            q = parse_qs(url.query)
            page, per = int(q["page"][0]), int(q["per_page"][0])
            chunk = self.services[(page - 1) * per : page * per]
            items = [{"id": s["id"], "name": s["name"], "status": s["status"]} for s in chunk]
            return self._send(
                200, page_envelope(items, total=len(self.services), page=page, per_page=per)
            )
        if url.path.startswith("/api/services/") and url.path[14:] in by_id:
            return self._send(200, by_id[url.path[14:]])
        return self._send(404, {"error": "not found"})


@pytest.fixture
def server():
    Feed.services, Feed.requests = _services(5), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    httpd.shutdown()
    httpd.server_close()


def test_reads_every_page_then_each_service(server):
    feed = read_source(server, timeout=5)
    assert feed.kind == "api" and feed.notes == []
    assert [s["name"] for s in feed.services] == [f"Live service {i}" for i in range(5)]
    assert all("schedules" in s for s in feed.services)  # the full services, not list items
    plan = plan_import({}, feed.services)
    assert plan.ok and len(plan.added) == 5
    # Two pages of 3 (the reader asks for per_page=3 here), then five services.
    Feed.requests.clear()
    from gpequity.oruk.feeds import read_api

    read_api(server, per_page=3, timeout=5)
    assert Feed.requests.count("/api/services") == 2
    assert len([r for r in Feed.requests if r.startswith("/api/services/")]) == 5


def test_size_cap_and_wrong_version(server):
    with pytest.raises(FeedError, match="larger than 0 MB"):
        read_source(server, max_bytes=100, timeout=5)
    Feed.version = "1.0"
    try:
        assert "not 'HSDS-UK-3.0'" in read_source(server, timeout=5).notes[0]
    finally:
        Feed.version = "HSDS-UK-3.0"


def test_a_missing_service_names_the_address():
    class Gone(Feed):
        services = [*_services(1), {"id": "gone", "name": "x", "status": "active"}]

        def do_GET(self):
            if self.path.endswith("/services/gone"):
                return self._send(404, {"error": "not found"})
            return super().do_GET()

    # The listing names "gone" but /services/gone answers 404 (it is not a full service).
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/api"
        with pytest.raises(FeedError, match=r"/api/services/gone: the server answered 404"):
            read_source(base, timeout=5)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_timeout_on_a_server_that_never_answers():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never replies
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api"
        with pytest.raises(FeedError, match="could not be read"):
            read_source(url, timeout=0.3)
    finally:
        silent.close()


def test_only_http_addresses():
    with pytest.raises(FeedError, match="no such file"):
        read_source("ftp://127.0.0.1/feed")
