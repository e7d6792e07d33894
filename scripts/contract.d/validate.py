"""Validates an OpenAPI 3.1 document with openapi-spec-validator and prints every error on one
line (`where: what`), alike errors folded into one line with their places. Exits 1 on any error.

Usage: validate.py openapi.json
"""

import json
import sys
from collections import defaultdict

from openapi_spec_validator import OpenAPIV31SpecValidator


def where(error):
    path = getattr(error, "absolute_path", None)
    if not path:
        return "(document)"
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        document = json.load(f)
    found = defaultdict(list)  # message -> places
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            found[str(error.message).splitlines()[0]].append(where(error))
    except Exception as e:  # the validator stops at a reference that resolves nowhere
        # Its message quotes the whole document after " within ".
        message = str(e).splitlines()[0].split(" within ")[0][:200]
        found[f"{type(e).__name__}: {message}"].append("(validation stopped here)")
    if not found:
        print("valid OpenAPI 3.1")
        return 0
    total = sum(len(places) for places in found.values())
    print(f"{total} errors, {len(found)} distinct:")
    for message, places in found.items():
        shown = ", ".join(places[:6]) + (f", … ({len(places)} places)" if len(places) > 6 else "")
        print(f"- {message} — at {shown}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
