"""Folds what scripts/contract found into one list: the validator's verdict, then every distinct
Schemathesis failure (operation, check, message) with the roles it was seen as, how often, and
one request that shows it (the wire request and the server's answer, both shortened).

Usage: summarize.py OUT_DIR ROLE... (OUT_DIR as scripts/contract fills it)
"""

import base64
import glob
import json
import os
import re
import sys
from collections import OrderedDict

LIMIT = 300


def decode(blob):
    if blob is None:
        return ""
    if isinstance(blob, dict) and "$base64" in blob:
        raw = base64.b64decode(blob["$base64"])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes>"
    if isinstance(blob, dict) and "string" in blob:
        return blob["string"]
    return str(blob)


def short(text, limit=LIMIT):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def tidy(line):
    """A message line without the values that differ between alike failures."""
    line = line.strip()
    if line.startswith(("Hint:", "Expected:")):
        return ""  # a guess at the cause, the statuses it allows: the server's answer is shown instead
    line = re.sub(r" \(was [^)]*\)$", "", line)  # which wrong type it drew this time
    return line


def shape(error_text):
    """An error body's message with its quoted values and numbers blanked: alike rejections fold."""
    try:
        text = str(json.loads(error_text).get("error", error_text))
    except (ValueError, AttributeError):
        text = error_text
    text = re.sub(r'"[^"]*"', '"…"', text)
    text = re.sub(r"`[^`]*`", "`…`", text)
    text = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "N", text)
    return " [" + short(text, 160) + "]"


def request_line(interaction):
    req = interaction.get("request", {})
    uri = req.get("uri", "")
    path = uri.split("/", 3)[3] if uri.count("/") >= 3 else uri
    headers = {
        k: v[0] if isinstance(v, list) and len(v) == 1 else v
        for k, v in req.get("headers", {}).items()
        if k.lower() not in ("authorization", "user-agent", "accept", "accept-encoding", "connection",
                             "content-length", "x-schemathesis-testcaseid")
    }
    line = f"{req.get('method', '?')} /{path}"
    if headers:
        line += " " + json.dumps(headers, ensure_ascii=False)
    body = decode(req.get("body"))
    if body:
        line += " body=" + short(body, 400)
    return line


def response_line(interaction):
    resp = interaction.get("response") or {}
    if not resp:
        return "(no response)"
    return f"{resp.get('status_code')} {short(decode(resp.get('content')))}"


def events(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def main():
    out, roles = sys.argv[1], sys.argv[2:]
    print("=" * 80)
    validator = os.path.join(out, "validator.txt")
    if os.path.exists(validator):
        with open(validator, encoding="utf-8") as f:
            print("openapi-spec-validator:", f.read().rstrip())
    failures = OrderedDict()  # (operation, code, title, message) -> record
    errors = OrderedDict()  # (operation, message) -> roles
    for role in roles:
        for path in sorted(glob.glob(os.path.join(out, role, "*.ndjson"))):
            for event in events(path):
                if "NonFatalError" in event:
                    e = event["NonFatalError"]
                    key = (e.get("label", ""), short(e["value"].get("message", ""), 200))
                    errors.setdefault(key, set()).add(role)
                    continue
                finished = event.get("ScenarioFinished")
                if not finished or finished.get("status") != "failure":
                    continue
                recorder = finished["recorder"]
                for case_id, checks in recorder.get("checks", {}).items():
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        info = check["failure_info"]["failure"]
                        operation = info.get("operation") or recorder.get("label", "?")
                        lines = info.get("message", "").splitlines()[:3]
                        message = " / ".join(t for t in (tidy(line) for line in lines) if t)
                        interaction = recorder.get("interactions", {}).get(case_id, {})
                        # A rejected valid request: each distinct reason the server gives is its own finding.
                        reason = ""
                        if info.get("code") == "ST202":
                            reason = shape(decode((interaction.get("response") or {}).get("content")))
                        key = (operation, info.get("code", ""), info.get("title", ""), message + reason)
                        record = failures.get(key)
                        if record is None:
                            record = failures[key] = {
                                "check": check["name"],
                                "roles": set(),
                                "count": 0,
                                "phase": finished.get("phase"),
                                "request": request_line(interaction),
                                "response": response_line(interaction),
                            }
                        record["roles"].add(role)
                        record["count"] += 1
    print(f"schemathesis: {len(failures)} distinct failures, {len(errors)} errors, as {' '.join(roles)}")
    for (operation, code, title, message), r in sorted(failures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"\n[{code} {r['check']}] {operation}: {title} — {message}")
        print(f"  as {','.join(sorted(r['roles']))}, {r['count']}×, first in {r['phase']}")
        print(f"  request:  {r['request']}")
        print(f"  response: {r['response']}")
    for (operation, message), seen in errors.items():
        print(f"\n[error] {operation or '(run)'}: {message}  (as {','.join(sorted(seen))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
