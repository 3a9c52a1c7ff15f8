import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FolderRegistry } from "../mail/store/folder-state.js";
import { MailStore } from "../mail/store/store.js";
import { MessageCache } from "./fetch.js";
import { Cursor } from "./parser.js";
import { decodeHeaderValue, decodeQuotedPrintable, parseSearch, parseSentDay, runSearch } from "./search.js";

function program(text: string): ReturnType<typeof parseSearch> {
  return parseSearch(new Cursor({ lines: [Buffer.from(text)], literals: [] }));
}

test("helpers: sent dates as written, quoted-printable, encoded words", () => {
  assert.deepEqual(parseSentDay("Tue, 1 Jul 2003 23:52:37 -0700"), { year: 2003, month: 6, day: 1 });
  assert.deepEqual(parseSentDay("1 Jan 99 00:00 GMT"), { year: 1999, month: 0, day: 1 });
  assert.deepEqual(parseSentDay("(Mon) 2 (x) Feb 2004 10:00"), { year: 2004, month: 1, day: 2 });
  assert.equal(parseSentDay("yesterday"), undefined);
  assert.equal(decodeQuotedPrintable(Buffer.from("a=3Db=\r\nc=ZZ=\n d")).toString(), "a=bc=ZZ d");
  assert.equal(decodeHeaderValue(Buffer.from(" =?iso-8859-1?q?Andr=E9?= Pirard")), "André Pirard");
  assert.equal(decodeHeaderValue(Buffer.from(" plain\r\n text")), "plain text");
});

test("every RFC 3501 search key against a mailbox", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-imap-search-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const store = new MailStore(join(dir, "Maildir"), { registry });
  const day = (d: string): Date => new Date(`${d}T12:00:00`);
  const mk = (n: number, extra: string, body: string): Buffer =>
    Buffer.from(
      `From: sender${n}@example.org\r\nTo: to${n}@example.org\r\nCc: cc${n}@example.org\r\nBcc: bcc${n}@example.org\r\nSubject: Subject number ${n}\r\n${extra}\r\n${body}\r\n`,
    );
  await store.deliver(mk(1, "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nX-Tag: alpha\r\n", "the first body"), {
    internalDate: day("2024-01-01"),
  });
  await store.deliver(mk(2, "Date: Tue, 2 Jan 2024 10:00:00 +0000\r\n", "second BODY text"), {
    internalDate: day("2024-01-02"),
    flags: ["\\Seen", "\\Answered", "Work"],
  });
  await store.deliver(
    mk(
      3,
      "Date: Wed, 3 Jan 2024 10:00:00 +0000\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n",
      Buffer.from("Café au lait", "latin1").toString("base64"),
    ),
    { internalDate: day("2024-01-03"), flags: ["\\Deleted", "\\Draft", "\\Flagged"] },
  );
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  const ctx = { mailbox: box, cache: new MessageCache(box) };
  const search = async (text: string): Promise<number[]> =>
    (await runSearch(ctx, program(text).key)).map((i) => i + 1);
  const cases: [string, number[]][] = [
    ["ALL", [1, 2, 3]],
    ["ANSWERED", [2]],
    ["UNANSWERED", [1, 3]],
    ["DELETED", [3]],
    ["UNDELETED", [1, 2]],
    ["DRAFT", [3]],
    ["UNDRAFT", [1, 2]],
    ["FLAGGED", [3]],
    ["UNFLAGGED", [1, 2]],
    ["SEEN", [2]],
    ["UNSEEN", [1, 3]],
    ["KEYWORD work", [2]],
    ["UNKEYWORD Work", [1, 3]],
    // Delivered with flags, 2 and 3 went straight to cur/: only 1 is \Recent (Maildir's new/).
    ["RECENT", [1]],
    ["NEW", [1]],
    ["OLD", [2, 3]],
    ["BCC bcc2", [2]],
    ["CC CC3@", [3]],
    ["FROM sender1", [1]],
    ["TO to2@example", [2]],
    ["SUBJECT NUMBER", [1, 2, 3]],
    ['SUBJECT "number 3"', [3]],
    ["HEADER X-Tag alpha", [1]],
    ['HEADER X-Tag ""', [1]],
    ["BODY body", [1, 2]],
    ["BODY café", [3]],
    ["TEXT sender2", [2]],
    ["TEXT lait", [3]],
    ["BEFORE 2-Jan-2024", [1]],
    ["ON 2-Jan-2024", [2]],
    ["SINCE 2-Jan-2024", [2, 3]],
    ["SENTBEFORE 3-Jan-2024", [1, 2]],
    ['SENTON "3-Jan-2024"', [3]],
    ["SENTSINCE 2-Jan-2024", [2, 3]],
    ["LARGER 150", [1, 2, 3].filter((n) => box.messages[n - 1]!.size > 150)],
    ["SMALLER 10", []],
    ["2:*", [2, 3]],
    ["UID 1,3", [1, 3]],
    ["NOT SEEN", [1, 3]],
    ["OR SEEN DRAFT", [2, 3]],
    ["(SEEN ANSWERED) KEYWORD Work", [2]],
    ["UNSEEN NOT (FLAGGED)", [1]],
  ];
  for (const [text, expected] of cases) assert.deepEqual(await search(text), expected, text);
});
