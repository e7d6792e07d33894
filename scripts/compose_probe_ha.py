"""compose.ha.yaml's own checks (scripts/compose_probe.py runs them with --ha, after the front
door's): the leading PostgreSQL server's container killed under a steady writer through nginx, a
new leader within the bound, writes accepted again, every acknowledged message in the history and
on the stream once, the old leader back as the standby, the migration step's single run."""

import json
import subprocess
import threading
import time

from compose_probe_lib import ENGINE, NGINX, Stream, check_migrated_once, container, engine, fail, request, say, send, sign_in, wait_until

# docs/high-availability.md: the whole primary server lost, Patroni with it: the leader key's
# ttl + loop_wait + the promotion, "at most about 12 s". A little room for a loaded machine.
FAILOVER_BOUND_SECS = 15.0


def promoted_at(name):
    """When the server in container `name` was promoted, by its own clock (the host's): the newest
    timeline history file's modification time, which PostgreSQL writes as it leaves recovery, plus
    the second its whole-second timestamp may have dropped. The probe's polling (a `podman exec`
    each time, slow on a loaded machine) would add its own delay to the failover's."""
    sql = "SELECT extract(epoch FROM max(modification)) FROM pg_ls_waldir() WHERE name LIKE '%.history'"
    out = engine("exec", name, "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "postgres", "-Atc", sql)
    return float(out) + 1.0


def patroni_role(name):
    out = subprocess.run([ENGINE, "exec", name, "curl", "-s", "--max-time", "2", "--cacert", "/etc/tutorchat/tls/ca.crt",
                          "https://127.0.0.1:8008/patroni"], capture_output=True, text=True)
    try:
        return json.loads(out.stdout)
    except ValueError:
        return {}


def check_ha(project):
    nodes = {s: container(project, s) for s in ("pg1", "pg2")}
    roles = {s: patroni_role(n) for s, n in nodes.items()}
    leaders = [s for s, r in roles.items() if r.get("role") in ("master", "primary")]
    if len(leaders) != 1 or any(r.get("state") != "running" for r in roles.values()):
        fail(f"expected one leader and both servers running: {roles}")
    leader = leaders[0]
    follower = next(s for s in nodes if s != leader)
    say(f"{leader} leads, {follower} is its {roles[follower].get('role')}")
    cookie, chat = sign_in()
    stream = Stream(NGINX, cookie, follow=True)
    stream.wait_connected()

    # A steady writer through nginx, each message retried (same idempotency key) until answered.
    acked, first_after, stop = [], {}, threading.Event()
    killed_at, unacknowledged = {}, []

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                message = send(NGINX, cookie, chat, f"ha write {n}", attempts=300)
            except SystemExit:  # send's fail() (a 4xx) ends this thread only: the main thread fails
                message = None
            if message is None:
                unacknowledged.append(n)
                return
            acked.append((message["id"], f"ha write {n}"))
            if "t" in killed_at and started > killed_at["t"] and "t" not in first_after:
                first_after["t"] = time.monotonic()
            time.sleep(0.05)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    wait_until("a write acknowledged before the kill", lambda: acked or unacknowledged, 120)
    time.sleep(3)
    before = len(acked)
    if unacknowledged:
        fail(f"write {unacknowledged[0]} was refused or never acknowledged before the kill")
    killed_wall = time.time()
    engine("kill", nodes[leader])
    killed_at["t"] = time.monotonic()  # writes acknowledged while `kill` ran do not count
    say(f"killed {leader}'s container (Patroni and PostgreSQL together) after {before} acknowledged writes")
    wait_until(f"{follower} leading", lambda: patroni_role(nodes[follower]).get("role") in ("master", "primary"), 60)
    new_leader_secs = promoted_at(nodes[follower]) - killed_wall
    wait_until("a write accepted after the kill", lambda: "t" in first_after or unacknowledged, 120)
    if unacknowledged:
        fail(f"write {unacknowledged[0]} was refused or never acknowledged (300 attempts)")
    writes_secs = first_after["t"] - killed_at["t"]
    time.sleep(3)
    stop.set()
    thread.join(120)
    if thread.is_alive() or unacknowledged:
        fail(f"the writer did not finish: write {unacknowledged or len(acked) + 1} unacknowledged")
    say(f"FAILOVER: new leader {follower} {new_leader_secs:.1f} s after the kill; writes accepted again after {writes_secs:.1f} s")
    if new_leader_secs > FAILOVER_BOUND_SECS:
        fail(f"the new leader took {new_leader_secs:.1f} s, beyond the bound of {FAILOVER_BOUND_SECS} s")

    # Nothing acknowledged lost, nothing doubled: in the history and on the stream.
    history, after = [], acked[0][0] - 1
    while True:
        status, _, page = request("GET", NGINX, f"/api/chats/{chat}/messages?after_id={after}&limit=100", cookie=cookie)
        if status != 200:
            fail(f"history answered {status}: {page}")
        history += [(m["id"], m["content"]) for m in page["messages"]]
        if not page["has_newer"]:
            break
        after = page["messages"][-1]["id"]
    missing = [a for a in acked if a not in history]
    doubled = len([c for _, c in history if c.startswith("ha write ")]) - len({c for _, c in history if c.startswith("ha write ")})
    if missing or doubled:
        fail(f"acknowledged writes missing from the history: {missing}; doubled: {doubled}")
    stream.wait_for([i for i, _ in acked])
    on_stream = [m for _, m, _ in stream.messages()]
    if len(on_stream) != len(set(on_stream)):
        fail("the stream brought a message twice")
    stream.stop()
    say(f"all {len(acked)} acknowledged writes in the history once and on the stream once (it reconnected {stream.connections - 1} times)")

    # The old leader comes back as the new one's standby.
    engine("start", nodes[leader])
    rejoined = time.monotonic()
    wait_until(f"{leader} back as a running replica",
               lambda: (lambda r: r.get("role") == "replica" and r.get("state") in ("running", "streaming"))(patroni_role(nodes[leader])), 120)
    say(f"{leader} rejoined as {follower}'s replica {time.monotonic() - rejoined:.1f} s after its restart")
    check_migrated_once(project, follower)
