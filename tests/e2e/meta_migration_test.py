"""End-to-end: a data dir written by the release before meta.db had schema versions opens, is
migrated, and keeps everything.

tests/fixtures/meta-db-unversioned.sql is a dump of the meta.db of such a release (made by its
`outagemap demo`, then an API key, a subscription, a maintenance window and a status page through
its API). The server of this release starts on it, lists the same incidents with their timelines,
subscription, maintenance and page, accepts the old key, and leaves the file at the schema version
it writes; a file of a newer release is refused with a clear error."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

from harness import Server, check

BINARY = sys.argv[1]
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "meta-db-unversioned.sql")
# The fixture's admin key (valid only for that file).
TOKEN = "om_7b700ef526d9_ccfd53123262b3a4231b2b6e26ea49559e611cc224ec91913516ee109e5f420a"
SCHEMA_VERSION = 4


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        meta_path = os.path.join(data, "meta.db")
        with sqlite3.connect(meta_path) as meta:
            meta.executescript(open(FIXTURE).read())
            check(meta.execute("PRAGMA user_version").fetchone()[0] == 0, "the fixture is unversioned")
        server = Server(BINARY, data).start()
        try:
            status, body = server.json("GET", "/api/v1/incidents?limit=100")
            check(status == 200, body)
            incidents = {i["id"]: i for i in body["data"]["incidents"]}
            check(sorted(incidents) == [f"OM100000{n}" for n in range(1, 6)], sorted(incidents))
            check(incidents["OM1000001"]["service"] == "microsoft-365"
                  and incidents["OM1000001"]["status"] == "resolved"
                  and len(incidents["OM1000001"]["updates"]) == 3, incidents["OM1000001"])
            auth = {"Authorization": "Bearer " + TOKEN}
            status, _, raw = server.request("GET", "/api/v1/subscriptions", headers=auth)
            check(status == 200, raw)
            subs = json.loads(raw)["data"]["subscriptions"]
            check(len(subs) == 1 and subs[0]["service"] == "outlook" and subs[0]["region"] == "US-MN",
                  subs)
            status, _, raw = server.request("GET", "/api/v1/maintenances", headers=auth)
            check(status == 200, raw)
            windows = json.loads(raw)["data"]["maintenances"]
            check([w["id"] for w in windows] == ["MW1000001"], windows)
            status, _, raw = server.request("GET", "/api/v1/pages")
            check(status == 200, raw)
            pages = [p for p in json.loads(raw)["data"]["pages"] if p["id"] == "office-tools"]
            check(len(pages) == 1 and pages[0]["services"] == ["outlook", "teams"], raw)
        finally:
            check(server.stop() == 0, server.output()[-2000:])
        with sqlite3.connect(meta_path) as meta:
            version = meta.execute("PRAGMA user_version").fetchone()[0]
            check(version == SCHEMA_VERSION, f"user_version after opening: {version}")
        print(f"migrated from version 0 to {SCHEMA_VERSION}; 5 incidents, 1 subscription, "
              "1 maintenance, 1 page and the key kept")

        # A file from a newer release: refused, naming the versions, and left as it was.
        with sqlite3.connect(meta_path) as meta:
            meta.execute("PRAGMA user_version = 99")
        r = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1:0", "--data", data],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "schema version 99 is newer than this release's" in r.stderr,
              (r.returncode, r.stderr[-2000:]))
        with sqlite3.connect(meta_path) as meta:
            check(meta.execute("PRAGMA user_version").fetchone()[0] == 99, "a newer file is not touched")
        print("a meta.db of a newer release is refused")


if __name__ == "__main__":
    main()
