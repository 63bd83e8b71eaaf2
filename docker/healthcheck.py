"""Container health check of the web service: the login page answers 200 through gunicorn.

It presents itself as the first allowed host behind a TLS proxy, so that neither the host
check nor the HTTPS redirect of the production settings turns the answer into an error.
"""

import os
import sys
import urllib.request

hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
request = urllib.request.Request(
    "http://127.0.0.1:8000/accounts/login/",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # Any failure means unhealthy; say why in `docker inspect`.
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
