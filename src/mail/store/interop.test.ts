import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FolderRegistry } from "./folder-state.js";
import { MailStore } from "./store.js";

// Python's standard library reads what we write: its mailbox.Maildir knows the Maildir spec
// and Maildir++ folders but nothing of Portico. (python3 is on every machine of this kind.)
const READ_WITH_PYTHON = `
import json, mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
def dump(md):
    out = []
    for key, msg in md.items():
        out.append({"subject": msg["subject"], "flags": msg.get_flags(), "subdir": msg.get_subdir(),
                    "body": msg.get_payload()})
    return sorted(out, key=lambda m: m["subject"])
print(json.dumps({"folders": sorted(box.list_folders()), "inbox": dump(box),
                  "archive": dump(box.get_folder("Archive.2024"))}))
`;

test("Python's mailbox.Maildir reads our messages, flags and folders", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-interop-"));
  const registry = new FolderRegistry();
  t.after(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const maildir = join(dir, "Maildir");
  const store = new MailStore(maildir, { registry });
  await store.deliver(Buffer.from("Subject: one\r\n\r\nfirst\r\n"));
  await store.deliver(Buffer.from("Subject: two\r\n\r\nsecond\r\n"));
  await store.deliver(Buffer.from("Subject: three\r\n\r\nthird\r\n"));
  const box = await store.open("INBOX");
  t.after(() => {
    box.close();
  });
  await box.setFlags([1], ["\\Seen", "\\Flagged", "\\Answered"]);
  await box.setFlags([2], ["\\Deleted", "\\Draft", "$Forwarded"]);
  await store.deliver(Buffer.from("Subject: four\r\n\r\nnew\r\n")); // stays in new/
  await store.create("Archive/2024");
  await store.deliver(Buffer.from("Subject: old\r\n\r\narchived\r\n"), {
    folder: "Archive/2024",
    flags: ["\\Seen"],
  });

  const out = JSON.parse(
    execFileSync("python3", ["-c", READ_WITH_PYTHON, maildir], { encoding: "utf8" }),
  ) as {
    folders: string[];
    inbox: { subject: string; flags: string; subdir: string; body: string }[];
    archive: { subject: string; flags: string; subdir: string }[];
  };
  assert.deepEqual(out.folders, ["Archive.2024"]);
  assert.deepEqual(
    out.inbox.map((m) => [m.subject, m.flags, m.subdir]),
    [
      ["four", "", "new"],
      ["one", "FRS", "cur"],
      ["three", "", "cur"],
      ["two", "DPT", "cur"],
    ],
  );
  // Python's email parser turns CRLF into its own "\n"; what matters is that it parsed.
  assert.equal(out.inbox.find((m) => m.subject === "one")!.body, "first\n");
  assert.deepEqual(
    out.archive.map((m) => [m.subject, m.flags, m.subdir]),
    [["old", "S", "cur"]],
  );
});
