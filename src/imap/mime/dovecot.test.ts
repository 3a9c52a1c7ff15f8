/**
 * BODYSTRUCTURE, BODY and ENVELOPE compared with Dovecot's for the same messages: Dovecot
 * (doveadm, Debian package dovecot-core, pulled in by dovecot-imapd) reads a Maildir of the
 * corpus below, and its answers must equal ours value for value (quoted or literal is the
 * server's choice, so values are compared after parsing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chownToDovecot, doveadm, writeDovecotConfig } from "../../../test/support/doveadm.js";
import { encodeWire } from "../response.js";
import { bodyStructure, envelope } from "./bodystructure.js";
import { scanBuffer } from "./structure.js";

/** Messages that exercise the MIME and address rules (CRLF added below). */
const CORPUS: string[] = [
  // A plain message with the usual envelope.
  `From: "Joe Q. Public" <john.q.public@example.com>
To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>
Cc: <boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>
Subject: =?utf-8?q?h=C3=A9llo?= there
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <5678.21-Nov-1997@example.com>
In-Reply-To: <1234@local.machine.example>

Hi.
`,
  // Nested multiparts, a message/rfc822 attachment, preamble and epilogue.
  `MIME-Version: 1.0
From: a@example.org
Subject: nested
Content-Type: multipart/mixed; boundary="outer"

This is the preamble.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe
--inner
Content-Type: text/html; charset="utf-8"

<p>Hi</p>
--inner--
--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="fwd.eml"

From: b@example.org
To: c@example.org
Subject: forwarded
Content-Type: text/plain

inner body
line 2
--outer
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="a.pdf"; size=4
Content-ID: <part3@example.org>
Content-Description: A PDF

JVBERi0=
--outer--
The epilogue.
`,
  // No Content-Type at all, but MIME-Version; a digest with defaults.
  `MIME-Version: 1.0
Content-Type: multipart/digest; boundary=d

--d

Subject: in digest
From: x@y.z

digest body
--d
Content-Type: text/plain

explicit
--d--
`,
  // Parameters: continuations, case kept, comments, a language list and a location.
  `MIME-Version: 1.0
Content-Type: TEXT/Plain; CHARSET="ISO-8859-1" (latin); format=flowed; name*0="long"; name*1="name.txt"
Content-Language: en, de
Content-Location: http://example.org/a
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Disposition: inline

text
`,
  // A part with no blank line before the boundary, empty parts, boundary prefixes.
  `Content-Type: multipart/mixed; boundary=a

--a
Content-Type: text/plain
--a

--a
Content-Type: multipart/related; boundary=ab

--ab
Content-Type: text/plain

in ab
--ab--
--a--
`,
  // Multipart without a boundary parameter, and with one that never appears.
  `Content-Type: multipart/mixed

--x
foo
`,
  `Content-Type: multipart/mixed; boundary=zz

no boundaries here
`,
  // Header only, and an empty body.
  `Subject: only a header`,
  `Subject: empty body

`,
  // A message/rfc822 inside a multipart whose closing boundary is followed by the outer one.
  `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_b"

--=_b
Content-Type: message/rfc822

Content-Type: multipart/mixed; boundary=c
Subject: inner

--c

in1
--c
Content-Type: text/plain

in2
--c--
--=_b--
`,
  // Odd content types.
  `Content-Type: text

no subtype
`,
  `Content-Type: application/octet-stream; name=a.bin
Content-Transfer-Encoding: BASE64

AAAA
`,
  // Addresses: routes, comments as names, groups, missing parts.
  `From: <@a.test,@b.test:c@d.test>, a@b (Comment), "a b"@c.test
To: Undisclosed recipients:;
Cc: group: x@y.test, z@w.test;, last@example.org
Bcc: 
Reply-To: 
Sender: s@x.test
Subject: addresses
Message-ID:   <a.b@c>   

body
`,
  // Folded headers, a tab kept, UTF-8 in a header.
  `Subject: folded
 across
	lines
From: =?iso-8859-1?q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
To: Jörg <joerg@example.de>
Date: Fri, 21 Nov 1997 09:55:06 -0600

x
`,
  // Deep nesting: multipart in message/rfc822 in multipart.
  `Content-Type: multipart/mixed; boundary=l1

--l1
Content-Type: message/rfc822

Subject: level 2
Content-Type: multipart/alternative; boundary=l2

--l2
Content-Type: text/plain

plain
--l2
Content-Type: message/rfc822

Subject: level 3

deepest
--l2--
--l1--
`,
  // Broken addresses, encoded words left alone, raw envelope values.
  `From: <@a.test,@b.test:c@d.test>, a@b (Comment), user, "a b"@c.test, =?utf-8?q?J=C3=B6rg?= <j@x.test>
To: Undisclosed recipients:;, g: x@y.test, (nested) ;
Cc: <>, @, "Quoted \\\\ back" <q@x.test>
Message-ID:   <a b@c> (comment)
In-Reply-To: <x@y> <z@w>
Date: Mon, 2 Jan 2006 (comment) 10:00:00 +0000
Subject:

body
`,
  // A message/rfc822 part in base64 (Dovecot parses it as a message all the same).
  `Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogeA0KDQpib2R5DQo=
`,
  // Two Content-Types: the first counts. Whitespace in envelope fields.
  `Content-Type: text/plain; charset=utf-8
Content-Type: text/html
Subject:    lead\ttrail \t
Date:  Mon, 1 Jan 2001 00:00:00 +0000  
Message-ID:
 <a@b>
In-Reply-To:   
\t<q@r>

x
`,
  // Content-* without MIME-Version or Content-Type: not MIME, so they do not count.
  `Content-Transfer-Encoding: base64
Content-Language: en
Content-Disposition: attachment

aGk=
`,
];

/** Parses an IMAP response value (lists, quoted strings, literals, NIL, numbers, atoms). */
function parseValue(text: string): unknown {
  let pos = 0;
  const value = (): unknown => {
    const c = text[pos];
    if (c === "(") {
      pos++;
      const list: unknown[] = [];
      for (;;) {
        while (text[pos] === " ") pos++;
        if (text[pos] === ")") {
          pos++;
          return list;
        }
        if (pos >= text.length) throw new Error(`unclosed list in ${text}`);
        list.push(value());
      }
    }
    if (c === '"') {
      pos++;
      let out = "";
      while (text[pos] !== '"') {
        if (text[pos] === "\\") pos++;
        out += text.charAt(pos++);
      }
      pos++;
      return out;
    }
    if (c === "{") {
      const close = text.indexOf("}", pos);
      const n = Number(text.slice(pos + 1, close));
      const start = close + 3;
      pos = start + n;
      return text.slice(start, pos);
    }
    const match = /^[^ ()]+/.exec(text.slice(pos))!;
    pos += match[0].length;
    if (match[0] === "NIL") return null;
    if (/^\d+$/.test(match[0])) return Number(match[0]);
    return { atom: match[0] };
  };
  return value();
}

test("BODYSTRUCTURE, BODY and ENVELOPE equal Dovecot's for every message of the corpus", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-imap-dovecot-"));
  t.after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  await chmod(dir, 0o755);
  const maildir = join(dir, "Maildir");
  for (const sub of ["cur", "new", "tmp"]) await mkdir(join(maildir, sub), { recursive: true });
  const messages = CORPUS.map((m) => Buffer.from(m.replace(/\r?\n/g, "\r\n"), "utf8"));
  for (const [i, m] of messages.entries()) {
    await writeFile(join(maildir, "new", `${1000 + i}.M${i}P1.test`), m);
  }
  await writeDovecotConfig(dir, maildir);
  chownToDovecot(maildir);
  const rows = JSON.parse(
    doveadm(
      dir,
      ["-f", "json", "fetch", "uid imap.bodystructure imap.body imap.envelope", "mailbox", "INBOX", "ALL"],
      "latin1",
    ),
  ) as Record<string, string>[];
  assert.equal(rows.length, messages.length);
  for (const [i, row] of rows.entries()) {
    const root = scanBuffer(messages[i]!);
    const ours = {
      bodystructure: parseValue(encodeWire(bodyStructure(root, true)).toString("latin1")),
      body: parseValue(encodeWire(bodyStructure(root, false)).toString("latin1")),
      envelope: parseValue(encodeWire(envelope(root.fields)).toString("latin1")),
    };
    const theirs = {
      bodystructure: parseValue(`(${row["imap.bodystructure"]!})`),
      body: parseValue(`(${row["imap.body"]!})`),
      envelope: parseValue(`(${row["imap.envelope"]!})`),
    };
    assert.deepEqual(ours, theirs, `message ${i + 1}:\n${CORPUS[i]}`);
  }
});
