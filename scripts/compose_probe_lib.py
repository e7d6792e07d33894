"""What scripts/compose_probe.py and compose_probe_ha.py share (standard library only): requests
through nginx, the containers compose made, a stream reader, signing in and sending, and the check
that the migration step ran once."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

NGINX = ("127.0.0.1", 8080)
ENGINE = os.environ.get("ENGINE", "podman")
EMAIL = "maria@demo.school"
# How long a single request may take. The machine this runs on may be busy (a 2-core CI runner
# compiling alongside): a slow answer is waited for; a wrong one fails at once.
TIMEOUT = 60


def fail(message):
    print(f"compose-probe: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def say(message):
    print(f"compose-probe: {message}", flush=True)


def request(method, host, path, body=None, cookie=None, headers=None, timeout=TIMEOUT):
    """One HTTP request; (status, headers, body as JSON or text). Cookie writes carry an Origin
    of the address used, as a browser on that page would send."""
    conn = http.client.HTTPConnection(host[0], host[1], timeout=timeout)
    all_headers = {"Origin": f"http://{host[0]}:{host[1]}", **(headers or {})}
    if cookie:
        all_headers["Cookie"] = cookie
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return response.status, response.headers, parsed
    finally:
        conn.close()


def engine(*args):
    return subprocess.run([ENGINE, *args], check=True, capture_output=True, text=True).stdout.strip()


def container(project, service):
    names = engine("ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
                   "--filter", f"label=com.docker.compose.service={service}", "--format", "{{.Names}}").split()
    if len(names) != 1:
        fail(f"expected one container of service {service} in project {project}, found {names}")
    return names[0]


def address(name):
    ips = engine("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name).split()
    if not ips:
        fail(f"container {name} has no address")
    return (ips[0], 8080)


def wait_until(what, check, timeout, last_answer=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (OSError, http.client.HTTPException) as error:
            last = error
        time.sleep(0.2)
    fail(f"{what} within {timeout} s (last: {last_answer() if last is None and last_answer else repr(last)})")


class Stream:
    """An event stream (GET /api/events/chat) read in a thread. Like a browser's EventSource it
    reconnects, with Last-Event-ID, when the connection ends (if `follow`)."""

    def __init__(self, host, cookie, last_event_id=None, follow=False):
        self.host, self.cookie, self.follow = host, cookie, follow
        self.last_id = last_event_id
        self.events = []  # (id, event, data)
        self.connections = 0
        self.stopped = False
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                self._read_once()
            except (OSError, http.client.HTTPException):
                pass
            if not self.follow:
                break
            time.sleep(0.3)

    def _read_once(self):
        conn = http.client.HTTPConnection(*self.host, timeout=TIMEOUT)
        headers = {"Cookie": self.cookie, "Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        conn.request("GET", "/api/events/chat", headers=headers)
        response = conn.getresponse()
        if response.status != 200:
            raise http.client.HTTPException(f"stream answered {response.status}")
        with self.lock:
            self.connections += 1
            self.lock.notify_all()
        event = {"id": None, "event": "message", "data": []}
        while not self.stopped:
            line = response.readline()
            if not line:
                return
            line = line.decode().rstrip("\r\n")
            if line == "":
                if event["data"]:
                    with self.lock:
                        if event["id"] is not None:
                            self.last_id = int(event["id"])
                        self.events.append((event["id"], event["event"], json.loads("\n".join(event["data"]))))
                        self.lock.notify_all()
                event = {"id": None, "event": "message", "data": []}
            elif not line.startswith(":") and ":" in line:
                field, value = line.split(":", 1)
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    event["data"].append(value)
                elif field in ("id", "event"):
                    event[field] = value

    def messages(self):
        """The messages the stream has had so far: (position, message id, content). The probe's
        user sends them, so they come as `message_sent` (a sender's own streams get that instead
        of `new_message`, with the same data and id); a `new_message` counts as well."""
        with self.lock:
            return self.messages_locked()

    def wait_connected(self, timeout=TIMEOUT):
        with self.lock:
            if not self.lock.wait_for(lambda: self.connections > 0, timeout):
                fail(f"no event stream opened on {self.host} within {timeout} s")

    def wait_for(self, message_ids, timeout=TIMEOUT):
        want = set(message_ids)
        with self.lock:
            ok = self.lock.wait_for(lambda: want <= {m for _, m, _ in self.messages_locked()}, timeout)
        if not ok:
            missing = want - {m for _, m, _ in self.messages()}
            fail(f"the stream on {self.host} lacks messages {sorted(missing)} after {timeout} s")

    def messages_locked(self):
        return [(int(i), d["message"]["id"], d["message"]["content"]) for i, e, d in self.events
                if e in ("new_message", "message_sent")]
    def stop(self):
        self.stopped = True


def sign_in(host=NGINX):
    status, headers, body = request("POST", host, "/api/dev/login", {"email": EMAIL})
    if status != 200:
        fail(f"the dev login as {EMAIL} answered {status}: {body}")
    # Every cookie the sign-in set (the session's token and its refresh credential), as a
    # browser sends them back.
    cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie") or [])
    status, _, chats = request("GET", host, "/api/chats", cookie=cookie)
    direct = [c for c in (chats or {}).get("chats", []) if c.get("participant")]
    if status != 200 or not direct:
        fail(f"{EMAIL} has no direct chat ({status}: {chats})")
    return cookie, direct[0]["id"]


def send(host, cookie, chat_id, content, attempts=1, key=None):
    """POST /api/messages; retried on 5xx and refused connections (with the same idempotency key)
    up to `attempts` times, 0.2 s apart. The message as answered, or None."""
    key = key or str(uuid.uuid4())
    for _ in range(attempts):
        try:
            status, _, body = request("POST", host, "/api/messages", {"chat_id": chat_id, "content": content},
                                      cookie=cookie, headers={"Idempotency-Key": key})
            if status in (200, 201):
                return body
            if status < 500:
                fail(f"sending to {host} answered {status}: {body}")
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    return None


def check_migrated_once(project, db_service):
    """The migrate service ran once and succeeded, every versioned migration applied once, by it
    alone: the replicas (the runtime role) applied none."""
    name = container(project, "migrate")
    state = engine("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", name).split()
    if state != ["exited", "0", "0"]:
        fail(f"the migrate container is {state} (status, exit code, restarts), not exited 0 after one run")
    logs = subprocess.run([ENGINE, "logs", name], capture_output=True, text=True)
    if (logs.stdout + logs.stderr).count("tutorchat: migrations applied") != 1:
        fail("the migrate container's log does not say once that the migrations were applied")
    versions = sorted(int(f[1:].split("__")[0]) for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "sql"))
                      if f.startswith("V") and f.endswith(".sql"))
    sql = "SELECT string_agg(version::text, ',' ORDER BY version) FROM refinery_schema_history"
    rows = engine("exec", container(project, db_service), "psql", "-h", "/var/run/postgresql", "-U", "postgres",
                  "-d", "tutorchat", "-Atc", sql)
    if rows != ",".join(map(str, versions)):
        fail(f"refinery_schema_history holds versions {rows}, not once each of {versions}")
    for service in ("replica1", "replica2", "replica3"):
        log = subprocess.run([ENGINE, "logs", container(project, service)], capture_output=True, text=True)
        if "applied migration" in log.stdout + log.stderr:
            fail(f"{service} applied a migration: only the migrate step may")
    say(f"the migrate step ran once (exit 0), and applied migrations {versions[0]}-{versions[-1]} once each")
