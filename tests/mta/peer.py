#!/usr/bin/env python3
"""A scripted SMTP server for the real-MTA tests (Python standard library only).

Usage: peer.py SCRIPT [TRANSCRIPT]

SCRIPT is tab separated, one directive a line ('#' comments and blank lines ignored):

    listen  IP  -                    listen on IP:25 with the defaults
    listen  IP  greet   REPLY        the greeting (default "220 <name> ESMTP scripted peer")
    listen  IP  mail    REPLY        the answer to every MAIL FROM on IP
    listen  IP  size    N            advertise SIZE N in the EHLO answer and refuse a MAIL FROM
                                     that declares a larger SIZE= (552 5.3.4)
    listen  IP  blackhole  -         listen but never accept, with the accept queue filled:
                                     further SYNs are dropped and clients see a connect timeout
    rcpt    ADDRESS  STAGE  REPLY    answer for one recipient; STAGE is rcpt, data or dot
                                     (data and dot apply to the transaction whose first
                                     accepted recipient is ADDRESS)

REPLY is an SMTP reply; several lines are separated by a literal "\\n" and each line
carries its code ("550 5.1.1 a\\n550 5.1.1 b" is sent as "550-5.1.1 a" / "550 5.1.1 b").
"{rcpt}" and "{domain}" are replaced.  REPLY can also be HANG (read on, never answer,
until the client gives up) or CLOSE (close the connection without an answer).
Everything not scripted is accepted.  Only loopback addresses are allowed.
"""
import socket
import sys
import threading
import time

HANG_LIMIT = 120  # seconds a hanging connection is kept at most
LOCK = threading.Lock()


class Script:
    def __init__(self, path):
        self.hosts = {}   # ip -> dict
        self.rcpts = {}   # address(lower) -> {stage: reply}
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                f = line.split("\t")
                if f[0] == "listen" and len(f) >= 3:
                    host = self.hosts.setdefault(f[1], {})
                    if f[2] != "-":
                        host[f[2]] = f[3] if len(f) > 3 else ""
                elif f[0] == "rcpt" and len(f) >= 4:
                    self.rcpts.setdefault(f[1].lower(), {})[f[2]] = f[3]
                else:
                    raise SystemExit("%s:%d: bad directive" % (path, lineno))
        for ip in self.hosts:
            if not ip.startswith("127."):
                raise SystemExit("peer: refusing to listen outside loopback: " + ip)


def log(out, text):
    if out is None:
        return
    with LOCK:
        out.write("%.3f %s\n" % (time.time(), text))
        out.flush()


def format_reply(reply, rcpt=""):
    domain = rcpt.rsplit("@", 1)[-1] if "@" in rcpt else ""
    reply = reply.replace("{rcpt}", rcpt).replace("{domain}", domain)
    lines = reply.split("\\n")
    out = []
    for i, ln in enumerate(lines):
        if i < len(lines) - 1 and len(ln) >= 4 and ln[3] == " ":
            ln = ln[:3] + "-" + ln[4:]
        out.append(ln + "\r\n")
    return "".join(out).encode("utf-8")


class Session:
    def __init__(self, conn, ip, client, script, out):
        self.conn = conn
        self.ip = ip
        self.client = client
        self.script = script
        self.host = script.hosts.get(ip, {})
        self.out = out
        self.buf = b""
        self.name = "peer-%s.test" % ip.replace(".", "-")

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.conn.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, data):
        log(self.out, "%s <- %s" % (self.ip, data.decode("utf-8", "replace").rstrip()))
        self.conn.sendall(data)

    def act(self, reply, rcpt=""):
        """Sends REPLY; returns False when the session must end (HANG, CLOSE)."""
        if reply == "CLOSE":
            log(self.out, "%s close" % self.ip)
            return False
        if reply == "HANG":
            log(self.out, "%s hang" % self.ip)
            self.conn.settimeout(HANG_LIMIT)
            try:
                while self.conn.recv(65536):
                    pass
            except OSError:
                pass
            return False
        self.send(format_reply(reply, rcpt))
        return True

    def run(self):
        log(self.out, "%s connect from %s" % (self.ip, self.client))
        if not self.act(self.host.get("greet", "220 %s ESMTP scripted peer" % self.name)):
            return
        rcpts = []
        while True:
            line = self.readline()
            if line is None:
                return
            log(self.out, "%s -> %s" % (self.ip, line))
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                ext = ["250-%s" % self.name, "250-PIPELINING"]
                if "size" in self.host:
                    ext.append("250-SIZE %s" % self.host["size"])
                ext += ["250-8BITMIME", "250 ENHANCEDSTATUSCODES"]
                self.send(("\r\n".join(ext) + "\r\n").encode())
            elif verb == "HELO":
                self.send(b"250 " + self.name.encode() + b"\r\n")
            elif verb == "MAIL":
                rcpts = []
                reply = self.host.get("mail", "250 2.1.0 Ok")
                declared = [p[5:] for p in line.upper().split() if p.startswith("SIZE=")]
                if ("size" in self.host and declared and declared[0].isdigit()
                        and int(declared[0]) > int(self.host["size"])):
                    reply = "552 5.3.4 Message size exceeds fixed limit"
                if not self.act(reply):
                    return
            elif verb == "RCPT":
                addr = line.split(":", 1)[1].strip() if ":" in line else ""
                addr = addr.split(">", 1)[0].lstrip("<").strip()
                rule = self.script.rcpts.get(addr.lower(), {})
                reply = rule.get("rcpt", "250 2.1.5 Ok")
                if not self.act(reply, addr):
                    return
                if reply[:1] == "2":
                    rcpts.append(addr)
            elif verb == "DATA":
                if not rcpts:
                    self.send(b"554 5.5.1 Error: no valid recipients\r\n")
                    continue
                first = rcpts[0]
                rule = self.script.rcpts.get(first.lower(), {})
                reply = rule.get("data", "354 End data with <CR><LF>.<CR><LF>")
                if not self.act(reply, first):
                    return
                if reply[:1] != "3":
                    continue
                size = 0
                while True:
                    body = self.readline()
                    if body is None:
                        return
                    if body == ".":
                        break
                    size += len(body) + 2
                log(self.out, "%s message of %d bytes for %s" % (self.ip, size, ",".join(rcpts)))
                reply = rule.get("dot", "250 2.0.0 Ok: queued as PEER%d" % (int(time.time() * 1000) % 100000))
                if not self.act(reply, first):
                    return
                rcpts = []
            elif verb == "RSET":
                rcpts = []
                self.send(b"250 2.0.0 Ok\r\n")
            elif verb == "NOOP":
                self.send(b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                self.send(b"221 2.0.0 Bye\r\n")
                return
            else:
                self.send(b"502 5.5.2 Error: command not recognized\r\n")


def serve(ip, sock, script, out):
    host = script.hosts[ip]
    if "blackhole" in host:
        # Accept queue of one, filled by our own connections and never drained:
        # the kernel drops every further SYN, so clients time out in connect().
        keep = []
        for _ in range(2):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((ip, 25))
            except (BlockingIOError, OSError):
                pass
            keep.append(c)
        log(out, "%s blackhole ready" % ip)
        while True:
            time.sleep(3600)
    while True:
        conn, addr = sock.accept()
        threading.Thread(target=handle, args=(conn, ip, addr[0], script, out), daemon=True).start()


def handle(conn, ip, client, script, out):
    try:
        Session(conn, ip, client, script, out).run()
    except OSError as exc:
        log(out, "%s error %s" % (ip, exc))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    script = Script(sys.argv[1])
    out = open(sys.argv[2], "a", encoding="utf-8") if len(sys.argv) > 2 else None
    socks = {}
    for ip in script.hosts:   # bind all first: "ready" means every address listens
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, 25))
        sock.listen(0 if "blackhole" in script.hosts[ip] else 64)
        socks[ip] = sock
    blackholes = 0
    for ip, sock in socks.items():
        threading.Thread(target=serve, args=(ip, sock, script, out), daemon=True).start()
        blackholes += "blackhole" in script.hosts[ip]
    deadline = time.time() + 10
    while blackholes and time.time() < deadline:   # their accept queues are being filled
        if out is None:
            time.sleep(0.2)
            break
        with open(out.name, encoding="utf-8") as fh:
            if fh.read().count("blackhole ready") >= blackholes:
                break
        time.sleep(0.05)
    log(out, "ready")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
