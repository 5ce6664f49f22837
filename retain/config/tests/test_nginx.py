"""The nginx configuration in deploy/nginx/ runs for real in front of two `retain web` processes.

The template is rendered the way docs/deploy.md says (only its `${RETAIN_…}` names replaced), with a
throwaway certificate authority for TLS, and checked as a person and a program meet it: the
HTTPS redirect, the scheme Retain sees behind the proxy (HSTS, secure cookies, a signed-in POST
passing the CSRF check), the ingest API with a write key, Retain rather than nginx refusing an
oversized batch, and a web process killed with SIGKILL while the other keeps serving.
"""

from __future__ import annotations

import base64
import http.server
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import trustme

from retain.tests.processes import free_port, migrated_data_dir, nginx_find, nginx_start, wait_for_port

# The module's servers are set up once: its tests run on one xdist worker (make test uses --dist loadgroup).
pytestmark = [pytest.mark.xdist_group("nginx"), pytest.mark.embedded]

SECRET = "nginx-test-secret-key-0123456789abcdef0123456789"
EMAIL, PASSWORD = "admin@nginx.example", "a-long-test-password-42"


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Site:
    https: str
    http: str
    ca: trustme.CA
    webs: list[subprocess.Popen[bytes]]
    write_key: str

    def client(self) -> httpx.Client:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return httpx.Client(base_url=self.https, verify=context, timeout=30, follow_redirects=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    nginx = nginx_find()
    if nginx is None:
        _skip_or_fail("nginx is not installed (apt-get install nginx)")
    assert nginx is not None
    folder = tmp_path_factory.mktemp("nginx")
    folder.chmod(0o755)
    https_port, http_port = free_port(), free_port()
    https = f"https://127.0.0.1:{https_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"},
        "RETAIN_SECRET_KEY": SECRET,
        "RETAIN_DATA_DIR": str(folder),
        "RETAIN_ALLOWED_HOSTS": "127.0.0.1",
        "RETAIN_SITE_URL": https,
        # nginx passes $host, which has no port; a browser's Origin has one.
        "RETAIN_CSRF_TRUSTED_ORIGINS": https,
        "RETAIN_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "RETAIN_TRUSTED_PROXIES": "127.0.0.1/32",
        "RETAIN_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    retain = str(Path(sys.executable).with_name("retain"))
    migrated_data_dir(folder, tmp_path_factory.getbasetemp().parent)
    setup = (
        "from retain.tenancy.services import workspace_create, member_add, write_key_create\n"
        "ws = workspace_create(name='Proxy', slug='proxy')\n"
        f"member = member_add(workspace=ws, email='{EMAIL}', role='admin', first_name='Ada')\n"
        f"member.user.set_password('{PASSWORD}'); member.user.save()\n"
        "print('KEY', write_key_create(workspace=ws, name='proxy')[1])\n"
    )
    printed = subprocess.run(
        [retain, "shell", "-c", setup], env=env, check=True, timeout=300, capture_output=True, text=True
    ).stdout
    write_key = printed.split("KEY ")[-1].strip()

    webs: list[subprocess.Popen[bytes]] = []
    ports = [free_port(), free_port()]
    for index, port in enumerate(ports):
        log = folder / f"web{index}.log"
        webs.append(
            subprocess.Popen(
                [retain, "web", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "chain.pem"))
    proxy = nginx_start(
        nginx, folder, upstreams=ports, https_port=https_port, http_port=http_port, certificate=folder / "chain.pem"
    )
    try:
        for index, port in enumerate(ports):
            wait_for_port(port, webs[index], folder / f"web{index}.log")
        wait_for_port(https_port, proxy, folder / "error.log")
        yield Site(https=https, http=f"http://127.0.0.1:{http_port}", ca=ca, webs=webs, write_key=write_key)
    finally:
        for process in [proxy, *webs]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [proxy, *webs]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _batch(site: Site, client: httpx.Client, ids: list[str]) -> httpx.Response:
    body = {"batch": [{"type": "track", "userId": "u1", "event": "Report Viewed", "messageId": i} for i in ids]}
    auth = "Basic " + base64.b64encode(f"{site.write_key}:".encode()).decode()
    return client.post(
        "/v1/batch", content=orjson.dumps(body), headers={"Authorization": auth, "Content-Type": "application/json"}
    )


def test_plain_http_is_sent_to_https(site: Site) -> None:
    answer = httpx.get(f"{site.http}/login/?next=/", timeout=30)
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://127.0.0.1/login/?next=/"


def test_retain_sees_https_behind_the_proxy_whatever_the_client_claims(site: Site) -> None:
    with site.client() as client:
        # nginx replaces a client's own X-Forwarded-Proto: the request is still known to be secure.
        page = client.get("/login/", headers={"X-Forwarded-Proto": "http"})
        assert page.status_code == 200, page.text[:500]
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in page.headers["set-cookie"].lower()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        signed_in = client.post(
            "/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": EMAIL, "password": PASSWORD},
            headers={"Origin": site.https, "Referer": f"{site.https}/login/"},
        )
        assert signed_in.status_code == 302, signed_in.text[:800]
        assert client.get(signed_in.headers["location"]).status_code in (200, 302)


def test_ingest_through_the_proxy_and_retain_refuses_an_oversized_batch(site: Site) -> None:
    with site.client() as client:
        answer = _batch(site, client, ["p-1", "p-2", "p-3"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 3
        # Over Retain's 4 MB but under nginx's 5 MB: Retain answers, in JSON, naming the limit.
        padding = "x" * (4 * 1024 * 1024 + 200_000)
        auth = "Basic " + base64.b64encode(f"{site.write_key}:".encode()).decode()
        big = client.post(
            "/v1/batch",
            content=orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": padding}]}),
            headers={"Authorization": auth, "Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"].startswith("application/json")


def test_a_killed_web_process_leaves_the_other_serving(site: Site) -> None:
    victim = site.webs[0]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    with site.client() as client:
        for _ in range(10):
            assert client.get("/login/").status_code == 200
        ids = [f"k-{n}" for n in range(20)]
        acknowledged = 0
        for start in range(0, len(ids), 5):
            answer = _batch(site, client, ids[start : start + 5])
            assert answer.status_code == 200, answer.text
            acknowledged += answer.json()["accepted"] + answer.json().get("duplicates", 0)
        assert acknowledged == 20


class _Upstream(http.server.BaseHTTPRequestHandler):
    """A stand-in web process: 503 + Retry-After while its server's `busy` is set (a database restart), else 200."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        busy = getattr(self.server, "busy", False)
        body = b'{"detail": "busy"}' if busy else b'{"ok": true}'
        self.send_response(503 if busy else 200)
        if busy:
            self.send_header("Retry-After", "5")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_database_outage_s_503s_do_not_take_every_web_process_out_of_nginx(tmp_path: Path) -> None:
    """A 503 is Retain saying "the database is busy or restarting" (every web process shares it): nginx
    passes it on with its Retry-After and keeps both upstreams, so the site answers again the moment
    the database does. Counting 503s as upstream failures marked both processes down for nginx's
    fail_timeout (10 s) after a PostgreSQL restart of a second or so, and every request meanwhile got 502."""
    nginx = nginx_find()
    if nginx is None:
        _skip_or_fail("nginx is not installed (apt-get install nginx)")
    assert nginx is not None
    tmp_path.chmod(0o755)
    upstreams = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream) for _ in range(2)]
    for server in upstreams:
        server.busy = True  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "chain.pem"))
    https_port = free_port()
    proxy = nginx_start(nginx, tmp_path, upstreams=[s.server_address[1] for s in upstreams], https_port=https_port,
                        http_port=free_port(), certificate=tmp_path / "chain.pem")  # fmt: skip
    context = ssl.create_default_context()
    ca.configure_trust(context)
    try:
        wait_for_port(https_port, proxy, tmp_path / "error.log")
        with httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=context, timeout=30) as client:
            for path in ("/w/x/accounts/", "/v1/batch"):
                answer = client.get(path) if path.startswith("/w/") else client.post(path, content=b"{}")
                assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "5"), path
            for server in upstreams:  # the database is back
                server.busy = False  # type: ignore[attr-defined]
            answers = [client.get("/w/x/accounts/").status_code for _ in range(4)]
            answers += [client.post("/v1/batch", content=b"{}").status_code for _ in range(4)]
            assert answers == [200] * 8
    finally:
        os.killpg(proxy.pid, signal.SIGTERM)
        proxy.wait(timeout=30)
        for server in upstreams:
            server.shutdown()
            server.server_close()


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", value).groups()  # type: ignore[union-attr]
    return float(number) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[unit]


def test_nginx_drops_an_idle_upstream_connection_before_gunicorn_does() -> None:
    """Else nginx may send a request on a keep-alive connection at the moment gunicorn closes it: the
    request meets a reset, and a POST (never re-sent) answers 502. The soak saw such a reset."""
    import gunicorn.config

    from retain.config.management.commands._processes import gunicorn_argv
    from retain.tests.processes import NGINX_TEMPLATE

    upstream = re.search(r"upstream retain_web \{(.*?)\n\}", NGINX_TEMPLATE.read_text(), re.S)
    assert upstream is not None and re.search(r"^\s*keepalive \d+;", upstream.group(1), re.M)
    found = re.search(r"^\s*keepalive_timeout (\S+);", upstream.group(1), re.M)
    nginx_idle = _seconds(found.group(1)) if found else 60.0  # nginx's default
    argv = gunicorn_argv("127.0.0.1:8000", 2, 4)
    gunicorn_idle = (
        float(argv[argv.index("--keep-alive") + 1]) if "--keep-alive" in argv else gunicorn.config.Keepalive.default
    )
    assert nginx_idle < gunicorn_idle
