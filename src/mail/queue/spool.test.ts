import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/support/cli.js";
import { isQueueId, newQueueId, Spool, type QueuedMeta } from "./spool.js";

function meta(id = newQueueId()): QueuedMeta {
  return {
    id,
    arrival: Date.now(),
    from: "a@x.test",
    recipients: [
      { address: "b@y.test", original: "b@y.test", route: "remote" },
      { address: "c@z.test", original: "list@z.test", route: "local" },
    ],
    body: "8BITMIME",
    smtputf8: false,
    client: { address: "127.0.0.1", helo: "h" },
  };
}

test("queue ids are unique, time-ordered file names", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => newQueueId(1_700_000_000_000 + i));
  assert.equal(new Set(ids).size, 1000);
  assert.deepEqual([...ids].sort(), ids);
  assert.ok(ids.every(isQueueId));
  assert.equal(isQueueId("../etc/passwd"), false);
});

test("a committed message reads back byte for byte; state lines fold; a torn last line is ignored", async () => {
  const spool = new Spool(await tempDir());
  await spool.init();
  const m = meta();
  const incoming = await spool.create(m);
  const body = Buffer.from("Subject: x\r\n\r\n8-bit: caf\xe9\r\n", "latin1");
  incoming.content.write(body.subarray(0, 5));
  incoming.content.end(body.subarray(5));
  assert.equal(await incoming.commit(), m.id);
  assert.deepEqual(await spool.ids(), [m.id]);

  const entry = (await spool.load(m.id))!;
  assert.deepEqual(entry.meta, m);
  assert.equal(entry.size, body.length);
  assert.deepEqual(await spool.readContent(m.id, entry, 1000), body);
  const chunks: Buffer[] = [];
  for await (const chunk of spool.content(m.id, entry)) chunks.push(chunk);
  assert.deepEqual(Buffer.concat(chunks), body);

  await spool.record(m.id, [
    { t: 1, r: 0, o: { kind: "deferred", status: "4.4.1", reply: "451 try later" } },
    { t: 1, attempts: 1, next: 99 },
  ]);
  await spool.record(m.id, [{ t: 2, r: 1, o: { kind: "delivered", reply: "250 ok" } }]);
  await writeFile(join(spool.stateDir, m.id), '{"t":3,"r":0,"o":{"kind":"deliv', { flag: "a" });
  const again = (await spool.load(m.id))!;
  assert.equal(again.attempts, 1);
  assert.equal(again.next, 99);
  assert.equal(again.outcomes[0]?.kind, "deferred");
  assert.equal(again.outcomes[1]?.kind, "delivered");

  assert.equal(await spool.remove(m.id), true);
  assert.equal(await spool.load(m.id), undefined);
  assert.equal(await spool.remove(m.id), false);
});

test("an aborted or never-committed message is never loaded; recovery removes crash leftovers", async () => {
  const spool = new Spool(await tempDir());
  await spool.init();
  const aborted = await spool.create(meta());
  aborted.content.write("partial");
  await aborted.abort();
  assert.deepEqual(await readdir(spool.messagesDir), []);
  // A crash mid-receive: the file is there, its length still dots; nobody loads it.
  const crashed = await spool.create(meta());
  crashed.content.write("partial");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await readdir(spool.messagesDir)).length, 1);
  assert.equal(await spool.load(crashed.meta.id), undefined);
  // A crash after the length was written but with the content cut short: also incomplete.
  const done = await spool.create(meta());
  done.content.end("Subject: whole\r\n\r\nbody\r\n");
  await done.commit();
  const cut = join(spool.messagesDir, newQueueId());
  const text = await readFile(join(spool.messagesDir, done.meta.id), "latin1");
  await writeFile(cut, text.slice(0, -3), "latin1");
  const recovered = await spool.recover();
  assert.equal(recovered.removed, 2);
  assert.deepEqual(
    recovered.entries.map((e) => e.meta.id),
    [done.meta.id],
  );
  assert.deepEqual(await spool.ids(), [done.meta.id]);
  crashed.content.destroy();
});

test("concurrent commits all become durable (group-committed directory fsync)", async () => {
  const spool = new Spool(await tempDir());
  await spool.init();
  const ids = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const m = await spool.create(meta());
      m.content.end(`Subject: ${i}\r\n\r\n`);
      return m.commit();
    }),
  );
  assert.deepEqual((await spool.ids()).sort(), [...ids].sort());
  const header = await readFile(join(spool.messagesDir, ids[0]!), "utf8");
  assert.match(header, /^PQ1 \d{16} \{"id":"/);
});
