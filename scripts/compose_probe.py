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
docker compose and podman-compose both set; ENGINE names the command (podman by default). The
helpers both share are compose_probe_lib.py's."""

import sys
import time

from compose_probe_lib import (EMAIL, NGINX, TIMEOUT, Stream, address, check_migrated_once, container, engine, fail,
                               request, say, send, sign_in, wait_until)

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
