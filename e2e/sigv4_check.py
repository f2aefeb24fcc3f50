"""Re-signs requests the fake Lambda received with botocore's SigV4Auth and reports mismatches.

An independent check of the `aws_lambda` filter's signatures for the e2e tests (run with the
project venv's python, where scripts/install-envoy.sh puts a pinned botocore).

stdin (JSON):
  {"region": "us-east-1", "service": "lambda",
   "keys": {"<access key id>": {"secret": "...", "token": "..." or null}},
   "requests": [{"method": "POST", "path": "/2015-03-31/...", "headers": [["name", "value"], ...],
                 "body_base64": "..."}]}
stdout (JSON): {"checked": <requests re-signed>, "mismatches": [{"index", "reason"}]}

For each request, botocore signs a request made of the same method, URL (the path as it went on the
wire), body and the headers the request says it signed, at the request's own x-amz-date, with the
secret of the access key it names; the Authorization header botocore produces must equal the one
received, and so must the session token.
"""

import base64
import datetime
import json
import re
import sys
from unittest import mock

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/[^,]+, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=[0-9a-f]+$"
)
# botocore sets these itself when it signs.
SET_BY_SIGNER = {"authorization", "x-amz-date", "x-amz-security-token"}


def first(headers, name):
    return next((value for key, value in headers if key.lower() == name), None)


def check(request, region, service, keys):
    """None when botocore agrees with the received signature, else why not."""
    headers = request["headers"]
    received = first(headers, "authorization")
    if received is None:
        return "no authorization header"
    match = AUTHORIZATION.match(received)
    if match is None:
        return f"malformed authorization header {received!r}"
    key = keys.get(match["key"])
    if key is None:
        return f"unknown access key {match['key']!r}"
    amz_date = first(headers, "x-amz-date")
    if amz_date is None:
        return "no x-amz-date"
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return f"malformed x-amz-date {amz_date!r}"

    signed = match["signed"].split(";")
    body = base64.b64decode(request["body_base64"])
    to_sign = AWSRequest(
        method=request["method"],
        url="http://" + (first(headers, "host") or "") + request["path"],
        data=body,
    )
    for name in signed:
        if name in SET_BY_SIGNER:
            continue
        values = [value for key, value in headers if key.lower() == name]
        if not values:
            return f"signed header {name!r} is absent"
        to_sign.headers[name] = ",".join(values)
    credentials = Credentials(match["key"], key["secret"], key.get("token"))
    auth = SigV4Auth(credentials, service, region)
    if "x-amz-content-sha256" in signed:
        # botocore would trust the header; hash the body it received instead.
        del to_sign.headers["x-amz-content-sha256"]
        to_sign.headers["x-amz-content-sha256"] = auth.payload(to_sign)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        auth.add_auth(to_sign)

    expected = to_sign.headers["Authorization"]
    if expected.replace(" ", "") != received.replace(" ", ""):
        return f"authorization differs: botocore {expected!r}, received {received!r}"
    token = first(headers, "x-amz-security-token")
    if token != key.get("token"):
        return "session token differs from the key's"
    return None


def main():
    job = json.load(sys.stdin)
    keys = job["keys"]
    mismatches = []
    for index, request in enumerate(job["requests"]):
        reason = check(request, job["region"], job["service"], keys)
        if reason is not None:
            mismatches.append({"index": index, "reason": f"{request['path']}: {reason}"})
    json.dump({"checked": len(job["requests"]), "mismatches": mismatches}, sys.stdout)


if __name__ == "__main__":
    main()
