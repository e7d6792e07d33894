#!/usr/bin/env python3
"""What a newcomer checks on compose.yaml or compose.ha.yaml once it is up (scripts/compose-check
runs this; standard library only). Through nginx on 127.0.0.1:8080: health and readiness, the
web client, a sign-in, a message sent to one replica arriving on a stream opened through nginx,
and a resume that brings exactly what was missed after a replica container was killed and
restarted; the migration step's one run. With --ha, instead of the replica (compose_probe_ha.py):
the leading PostgreSQL server's container killed under a steady writer, a new leader within the
bound, writes accepted again, and every acknowledged message in the history and on the stream,
once.

    compose_probe.py PROJECT            compose.yaml's stack (project name as given to compose)
    compose_probe.py PROJECT --ha       compose.ha.yaml's

Containers are found by compose's labels (com.docker.compose.project and .service), which
docker compose and podman-compose both set; ENGINE names the command (podman by default)."""

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
    cookie = headers.get("Set-Cookie", "").split(";")[0]
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


def check_front_door():
    for path in ("/healthz", "/readyz"):
        answers = []  # what nginx last answered, for the failure's message

        def answered(p=path):
            answers[:] = [request("GET", NGINX, p)]
            return answers[0] if answers[0][0] == 200 else None
        status, _, body = wait_until(f"{path} through nginx answering 200", answered, 300,
                                     lambda: answers and f"{answers[0][0]} {str(answers[0][2])[:200]!r}")
        if body != {"status": "ok"}:
            fail(f"{path} answered {body}")
    status, _, page = request("GET", NGINX, "/")
    if status != 200 or '<div id="root">' not in page:
        fail(f"/ does not serve the web client ({status})")
    script = page.split('src="', 1)[1].split('"', 1)[0] if 'src="' in page else None
    if not script or request("GET", NGINX, script)[0] != 200:
        fail(f"the web client's script {script} is not served")
    say("nginx: /healthz and /readyz ok, the web client and its script served")


def check_single(project):
    cookie, chat = sign_in()
    say(f"signed in as {EMAIL} through nginx; chat {chat}")
    replicas = {s: container(project, s) for s in ("replica1", "replica2", "replica3")}

    # A message sent to one replica arrives on a stream opened through nginx (on any replica).
    stream = Stream(NGINX, cookie)
    stream.wait_connected()
    first = send(address(replicas["replica1"]), cookie, chat, "sent to replica1")
    if first is None:
        fail("replica1 did not take a message")
    stream.wait_for([first["id"]])
    say(f"message {first['id']} sent to replica1 arrived on the stream opened through nginx")

    # Kill the replica that holds the stream (its open-streams gauge says which).
    def holder():
        for service, name in replicas.items():
            _, _, metrics = request("GET", address(name), "/metrics")
            if any(l.startswith("tutorchat_sse_connections ") and float(l.split()[1]) >= 1 for l in metrics.splitlines()):
                return service
    victim = wait_until("a replica reporting the open stream", holder, TIMEOUT)
    stream.stop()
    engine("kill", replicas[victim])
    resume_from = stream.last_id
    say(f"killed {victim}'s container (it held the stream; last event id {resume_from})")

    # Meanwhile, through nginx (which passes the requests to the two others).
    missed = [send(NGINX, cookie, chat, f"while {victim} was down {i}", attempts=25) for i in (1, 2)]
    if None in missed:
        fail(f"nginx did not take messages while {victim} was down")
    missed_ids = [m["id"] for m in missed]
    engine("start", replicas[victim])
    restarted = address(replicas[victim])
    wait_until(f"{victim} ready again after its restart",
               lambda: request("GET", restarted, "/readyz", timeout=5)[0] == 200, 180)
    say(f"{victim} restarted and ready")

    # Resume with Last-Event-ID: through nginx, and on the restarted replica itself.
    for host, where in ((NGINX, "through nginx"), (restarted, f"on the restarted {victim}")):
        resumed = Stream(host, cookie, last_event_id=resume_from)
        resumed.wait_for(missed_ids)
        time.sleep(1)  # anything extra (a duplicate, an older event) would have come by now
        got = [m for _, m, _ in resumed.messages()]
        if got != missed_ids or any(p <= resume_from for p, _, _ in resumed.messages()):
            fail(f"the resume {where} from {resume_from} brought {resumed.messages()}, not exactly {missed_ids}")
        resumed.stop()
        say(f"resumed {where} from {resume_from}: exactly the missed messages {missed_ids}")

    # The restarted replica's listener works: a message sent through nginx arrives live on it.
    live = Stream(restarted, cookie)
    live.wait_connected()
    last = send(NGINX, cookie, chat, "after the restart", attempts=5)
    live.wait_for([last["id"]])
    live.stop()
    say(f"message {last['id']} arrived live on the restarted {victim}")
    check_migrated_once(project, "db")


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


if __name__ == "__main__":
    if len(sys.argv) < 2:
        fail("usage: compose_probe.py PROJECT [--ha]")
    check_front_door()
    if "--ha" in sys.argv[2:]:
        from compose_probe_ha import check_ha  # noqa: E402 (compose.ha.yaml's checks, its own file)
        check_ha(sys.argv[1])
    else:
        check_single(sys.argv[1])
    say("all checks passed")
