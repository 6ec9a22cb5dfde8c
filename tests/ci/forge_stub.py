#!/usr/bin/env python3
"""GitHub's and GitLab's comment APIs, as much as examples/ci/schemac-ci.sh uses,
in memory: the HTTP boundary the CI script test stubs, and nothing more.

  forge_stub.py STATE_DIR     writes STATE_DIR/port, then serves until killed;
                              each request is appended to STATE_DIR/requests
                              ("METHOD path auth-ok"), the comments kept in
                              STATE_DIR/comments.json after every change.
"""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

state_dir = sys.argv[1]
comments = {}  # id -> {"id", "body", "thread"}
next_id = [100]

GITHUB_LIST = re.compile(r"^/repos/[^/]+/[^/]+/issues/(\d+)/comments$")
GITHUB_ONE = re.compile(r"^/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
GITLAB_LIST = re.compile(r"^/projects/[^/]+/merge_requests/(\d+)/notes$")
GITLAB_ONE = re.compile(r"^/projects/[^/]+/merge_requests/(\d+)/notes/(\d+)$")


def save():
    with open(os.path.join(state_dir, "comments.json"), "w") as f:
        json.dump(sorted(comments.values(), key=lambda c: c["id"]), f)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self):
        auth = self.headers.get("Authorization") == "Bearer test-token" or \
            self.headers.get("PRIVATE-TOKEN") == "test-token"
        with open(os.path.join(state_dir, "requests"), "a") as f:
            f.write(f"{self.command} {self.path.split('?')[0]} {'auth-ok' if auth else 'no-auth'}\n")
        return auth

    def reply(self, code, value):
        data = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))["body"]

    def handle_any(self):
        if not self.record():
            return self.reply(401, {"message": "Bad credentials"})
        path = self.path.split("?")[0]
        for pattern in (GITHUB_LIST, GITLAB_LIST):
            m = pattern.match(path)
            if m and self.command == "GET":
                return self.reply(200, [c for c in comments.values() if c["thread"] == m.group(1)])
            if m and self.command == "POST":
                next_id[0] += 1
                comments[next_id[0]] = {"id": next_id[0], "body": self.body(), "thread": m.group(1)}
                save()
                return self.reply(201, comments[next_id[0]])
        m = GITHUB_ONE.match(path) or GITLAB_ONE.match(path)
        if m and self.command in ("PATCH", "PUT"):
            cid = int(m.groups()[-1])
            if cid not in comments:
                return self.reply(404, {"message": "Not Found"})
            comments[cid]["body"] = self.body()
            save()
            return self.reply(200, comments[cid])
        self.reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = do_PUT = handle_any


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(state_dir, "port.tmp"), "w") as f:
    f.write(str(server.server_port))
os.rename(os.path.join(state_dir, "port.tmp"), os.path.join(state_dir, "port"))
server.serve_forever()
