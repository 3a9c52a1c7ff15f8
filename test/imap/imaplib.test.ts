/**
 * Wire tests of the IMAP server with Python's imaplib (every command it has), over plain
 * TCP, STARTTLS and IMAPS.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { message, PASSWORD, python, startServer, USER } from "./support.js";

const PRELUDE = `
import imaplib, sys, json, ssl
port = int(sys.argv[1])
def ok(result, what):
    typ, data = result
    if typ != "OK":
        raise SystemExit(f"{what}: {typ} {data}")
    return data
def check(cond, what):
    if not cond:
        raise SystemExit(f"check failed: {what}")
`;

test("imaplib: the session commands end to end", async (t) => {
  const server = await startServer(t);
  const store = server.store();
  await store.deliver(message("first", "one two three"));
  await store.deliver(message("second", "quick brown fox"));
  await store.deliver(
    Buffer.from(
      'From: =?utf-8?q?J=C3=B6rg?= <j@example.net>\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n',
    ),
  );
  const out = await python(
    `${PRELUDE}
m = imaplib.IMAP4("127.0.0.1", port)
caps = m.capabilities
check("IMAP4REV1" in caps and "STARTTLS" in caps and "AUTH=PLAIN" in caps, caps)
ok(m.login(sys.argv[2], sys.argv[3]), "login")
check("UIDPLUS" in m.capabilities or True, "caps")
typ, data = m.capability()
check(b"UIDPLUS" in data[0] and b"MOVE" in data[0] and b"IDLE" in data[0], data)
names = ok(m.list(), "list")
check(any(b"\\\\Sent" in n and b'"Sent"' in n for n in names), names)
check(any(b'"INBOX"' in n for n in names), names)
check(ok(m.list('""', '""'), "list delimiter")[0] == b'(\\\\Noselect) "/" ""', "delimiter")
check(ok(m.namespace(), "namespace")[0] == b'(("" "/")) NIL NIL', "namespace")
ok(m.xatom("ID", "NIL"), "id")
ok(m.create("Work/2025"), "create")
check(m.create("Work/2025")[0] == "NO", "create twice")
ok(m.subscribe("Work/2025"), "subscribe")
lsub = ok(m.lsub(), "lsub")
check(any(b"Work/2025" in x for x in lsub), lsub)
ok(m.rename("Work/2025", "Work/2026"), "rename")
lsub = ok(m.lsub(), "lsub after rename")
check(any(b"Work/2026" in x for x in lsub), lsub)
ok(m.unsubscribe("Work/2026"), "unsubscribe")
st = ok(m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)"), "status")
check(b"MESSAGES 3" in st[0] and b"UNSEEN 3" in st[0] and b"UIDNEXT 4" in st[0], st)
check(ok(m.select("INBOX"), "select") == [b"3"], "exists")
check(m.response("UIDVALIDITY")[1][0].isdigit(), "uidvalidity")
data = ok(m.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)"), "fetch")
check(len(data) == 3 and b'"first"' in data[0] and b"\\\\Recent" in data[0], data)
data = ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "peek")
check(data[0][1] == b"Subject: first\\r\\n\\r\\n", data)
data = ok(m.fetch("1", "(FLAGS)"), "flags")
check(b"\\\\Seen" not in data[0], data)
data = ok(m.fetch("2", "(RFC822)"), "rfc822")
check(data[0][1].endswith(b"quick brown fox\\r\\n") and b"\\\\Seen" in data[0][0] + data[1], data)
data = ok(m.fetch("3", "(BODYSTRUCTURE BODY[1] BODY[1.MIME] BODY.PEEK[2]<0.4>)"), "parts")
flat = b"".join(x if isinstance(x, bytes) else x[0] + x[1] for x in data)
check(b'"mixed"' in flat and b"Sch=C3=B6ne" in flat and b"AAEC" in flat, flat)
check(ok(m.search(None, "SUBJECT", "second"), "search") == [b"2"], "search subject")
check(ok(m.search("UTF-8", "BODY", "Grüße".encode()), "search utf8 body") == [b"3"], "search body qp utf8")
check(ok(m.search(None, "FROM", "Jörg".encode()), "search from") == [b"3"], "search from 2047")
check(ok(m.search(None, "UNSEEN"), "unseen") == [b"1"], "unseen")
check(ok(m.search(None, "OR", "SUBJECT", "first", "BODY", "fox"), "or") == [b"1 2"], "or")
check(ok(m.search(None, "NOT", "SMALLER", "1"), "not") == [b"1 2 3"], "not smaller")
check(ok(m.search(None, "SENTON", "1-Jul-2025"), "senton") == [b"1 2"], "senton")
check(m.search("KOI8-R", "ALL")[0] == "NO", "badcharset")
check(ok(m.uid("SEARCH", "UID", "2:*"), "uid search") == [b"2 3"], "uid search")
data = ok(m.store("1", "+FLAGS", "(\\\\Flagged Work)"), "store")
check(b"\\\\Flagged" in data[0] and b"Work" in data[0], data)
ok(m.store("1", "-FLAGS.SILENT", "(Work)"), "store silent")
data = ok(m.uid("STORE", "1", "FLAGS", "(\\\\Answered)"), "uid store")
check(b"UID 1" in data[0] and b"\\\\Answered" in data[0], data)
typ, data = m.copy("1:2", "Archive")
check(typ == "OK" and b"COPYUID" in data[0], data)
typ, data = m.uid("MOVE", "2", "Trash")
check(typ == "OK", data)
check(m.copy("1", "Nowhere")[0] == "NO", "copy to nowhere")
check(m.untagged_responses.pop("EXPUNGE", None) == [b"2"], "MOVE sent EXPUNGE 2")
typ, data = m.append("INBOX", "(\\\\Seen $Label)", imaplib.Time2Internaldate(1700000000), b"Subject: appended\\r\\n\\r\\nbody\\r\\n")
check(typ == "OK" and b"APPENDUID" in data[0], data)
ok(m.noop(), "noop")
check(ok(m.search(None, "SUBJECT", "appended"), "search appended") == [b"3"], "appended is 3")
ok(m.store("1", "+FLAGS", "(\\\\Deleted)"), "delete flag")
check(ok(m.expunge(), "expunge") == [b"1"], "expunged 1")
ok(m.check(), "check")
ok(m.unselect(), "unselect")
ok(m.select("Archive", readonly=True), "examine")
check(m.store("1", "+FLAGS", "(\\\\Seen)")[0] == "NO", "store in examine")
ok(m.close(), "close")
ok(m.select("Trash"), "select trash")
ok(m.store("1", "+FLAGS", "(\\\\Deleted)"), "trash delete")
ok(m.close(), "close expunges")
st = ok(m.status("Trash", "(MESSAGES)"), "status trash")
check(b"MESSAGES 0" in st[0], st)
ok(m.delete("Work/2026"), "delete")
check(m.delete("INBOX")[0] == "NO", "delete inbox")
check(m.select("Nope")[0] == "NO", "select missing")
print(json.dumps({"ok": True}))
m.logout()
`,
    [server.port, USER, PASSWORD],
  );
  assert.deepEqual(JSON.parse(out), { ok: true });
});

test("imaplib: STARTTLS, then LOGIN over TLS; IMAPS", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("secure"));
  const out = await python(
    `${PRELUDE}
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4("127.0.0.1", port)
ok(m.starttls(ctx), "starttls")
check("STARTTLS" not in m.capabilities, m.capabilities)
ok(m.login(sys.argv[2], sys.argv[3]), "login")
ok(m.select("INBOX"), "select")
data = ok(m.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])"), "fetch")
check(data[0][1] == b"Subject: secure\\r\\n\\r\\n", data)
m.logout()
s = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[4]), ssl_context=ctx)
check("STARTTLS" not in s.capabilities, s.capabilities)
ok(s.login(sys.argv[2], sys.argv[3]), "ssl login")
check(ok(s.select("INBOX", readonly=True), "examine") == [b"1"], "exists")
s.logout()
print("done")
`,
    [server.port, USER, PASSWORD, server.tlsPort],
  );
  assert.equal(out.trim(), "done");
});

test("imaplib: wrong password is refused (and slowed), AUTHENTICATE PLAIN works", async (t) => {
  const server = await startServer(t);
  const out = await python(
    `${PRELUDE}
m = imaplib.IMAP4("127.0.0.1", port)
try:
    m.login(sys.argv[2], "wrong")
    raise SystemExit("login with a wrong password succeeded")
except imaplib.IMAP4.error as e:
    check("AUTHENTICATIONFAILED" in str(e), str(e))
user, password = sys.argv[2], sys.argv[3]
ok(m.authenticate("PLAIN", lambda _: f"\\0{user}\\0{password}".encode()), "authenticate")
check(m.state == "AUTH", m.state)
m.logout()
print("done")
`,
    [server.port, USER, PASSWORD],
  );
  assert.equal(out.trim(), "done");
  const lines = server.traces.map((e) => e.line).join("\n");
  assert.ok(!lines.includes(PASSWORD), "the password is not traced");
  assert.match(lines, /LOGIN user@example\.org \*\*\*/);
});
