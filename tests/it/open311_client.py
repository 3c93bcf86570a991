"""A partner's side of Open311 GeoReport v2, for tests/it/open311.rs.

Reads go through the `georeport` package from PyPI (a maintained GeoReport v2 client). It has
no call to file a request and sends no api_key on reads, so: POST is written here with
`requests` exactly as the spec says (form-encoded, api_key in the body), and the client's
`requests.get` is wrapped to add `api_key` to its query (banpol answers reads only to the key
that filed a request). The node's self-signed certificate comes in REQUESTS_CA_BUNDLE.

    python client.py BASE KEY FORMAT COMMAND [ARGS...]   -> one JSON document on stdout
"""

import json
import sys

import georeport.georeport as gr
import requests
import xmltodict
from georeport import GeoReport

base, key, fmt, command, *args = sys.argv[1:]
root = f"{base}/open311/v2"
plain_get = requests.get


def get_with_key(url, params=None, **kw):
    params = dict(params or {})
    params["api_key"] = key
    return plain_get(url, params=params, **kw)


gr.requests.get = get_with_key
client = GeoReport(root, output_format=fmt)


def as_list(x):
    """xmltodict gives one element as a dict, several as a list."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


if command == "services":
    out = {
        "services": as_list(client.get_service_list()),
        "crime": client.get_service_definition("crime"),
        "information": client.get_service_definition("information"),
    }
elif command == "post":
    form = json.loads(args[0])
    form["api_key"] = key
    r = requests.post(f"{root}/requests.{fmt}", data=form)
    body = r.json() if fmt == "json" else xmltodict.parse(r.content)
    out = {"status": r.status_code, "content_type": r.headers.get("content-type"), "body": body}
    if r.status_code == 201:
        first = body[0] if fmt == "json" else body["service_requests"]["request"]
        out["id"] = first["service_request_id"]
        out["token"] = first["token"]
elif command == "get":
    out = client.get_service_request(args[0])
elif command == "range":
    out = as_list(client.get_service_requests(start_date=args[0], end_date=args[1]))
elif command == "ids":
    out = as_list(client.get_service_requests(service_request_id=args[0]))
elif command == "token":
    r = get_with_key(f"{root}/tokens/{args[0]}.{fmt}")
    r.raise_for_status()
    body = r.json()[0] if fmt == "json" else xmltodict.parse(r.content)["service_requests"]["request"]
    out = body
else:
    raise SystemExit(f"unknown command {command}")

json.dump(out, sys.stdout)
