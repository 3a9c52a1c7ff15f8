import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { tempDir } from "../../../test/support/cli.js";
import { DataLayout } from "../../core/layout.js";
import { silentLogger } from "../../core/log.js";
import type { Envelope } from "../envelope.js";
import { MailRouter } from "../router.js";
import { MailQueue, queuedMeta, SpoolSink, type CommittedMessage } from "./queue.js";
import { Relay } from "./relay.js";
import { Spool, type QueueEntry } from "./spool.js";

const router = new MailRouter({
  localDomains: ["z.test"],
  aliases: new Map([
    ["list@z.test", ["a@z.test", "b@z.test", "far@else.test"]],
    ["old@z.test", ["a@z.test"]],
  ]),
  accountExists: (address) => Promise.resolve(address === "a@z.test" || address === "b@z.test"),
});

function envelope(recipients: Envelope["recipients"], from = "s@else.test"): Envelope {
  return {
    from,
    recipients,
    body: "8BITMIME",
    smtputf8: false,
    ret: "HDRS",
    envid: "E1",
    client: { address: "192.0.2.1", helo: "client.test", tls: false, protocol: "ESMTP" },
  };
}

test("queuedMeta: recipients expanded through aliases and lists, each address once, first RCPT named", async () => {
  const meta = await queuedMeta(
    envelope([
      { address: "list@z.test", notify: ["FAILURE"] },
      { address: "old@z.test" },
      { address: "A+tag@z.test" },
      { address: "nobody@z.test" },
      { address: "x@else.test", orcpt: "rfc822;x@else.test" },
    ]),
    router,
    1_700_000_000_000,
  );
  assert.equal(meta.arrival, 1_700_000_000_000);
  assert.match(meta.id, /^[0-9A-Z]{9}[0-9A-F]{10}$/);
  assert.deepEqual(meta.recipients, [
    { address: "a@z.test", original: "list@z.test", route: "local", notify: ["FAILURE"] },
    { address: "b@z.test", original: "list@z.test", route: "local", notify: ["FAILURE"] },
    { address: "far@else.test", original: "list@z.test", route: "remote", notify: ["FAILURE"] },
    { address: "x@else.test", original: "x@else.test", route: "remote", orcpt: "rfc822;x@else.test" },
  ]);
  assert.equal(meta.ret, "HDRS");
  assert.equal(meta.envid, "E1");
  assert.deepEqual(meta.client, { address: "192.0.2.1", helo: "client.test" });
});

/** A queue manager over `dir` whose remote deliveries never happen (only local ones are tested). */
function openQueue(dir: string): Promise<MailQueue> {
  const layout = new DataLayout(dir);
  return MailQueue.open({
    dir: layout.queueDir,
    hostname: "mx.z.test",
    router,
    layout,
    relay: new Relay({
      resolveMx: () => Promise.reject(new Error("no DNS in this test")),
      port: 25,
      helo: "mx.z.test",
      logger: silentLogger,
    }),
    logger: silentLogger,
    controlPollMs: 60_000,
  });
}

/** Writes one message through `sink` as the SMTP server would. */
async function submit(sink: SpoolSink, subject: string): Promise<string> {
  const message = await sink.open(envelope([{ address: "a@z.test" }]));
  message.content.end(`Subject: ${subject}\r\n\r\nbody\r\n`);
  return message.commit();
}

async function inbox(dir: string, count: number): Promise<string[]> {
  const newDir = join(new DataLayout(dir).maildir("a@z.test"), "new");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = await readdir(newDir).catch(() => [] as string[]);
    if (names.length >= count) {
      return Promise.all(names.map((name) => readFile(join(newDir, name), "utf8")));
    }
    assert.ok(Date.now() < deadline, `${names.length} of ${count} messages delivered`);
    await sleep(20);
  }
}

test("another process's SpoolSink: adopt() queues what it committed, from its header or from the file", async (t) => {
  const dir = await tempDir();
  const queue = await openQueue(dir);
  t.after(() => queue.stop(0));
  // The worker's side: its own Spool over the same directory; what it commits crosses as JSON.
  const announced: CommittedMessage[] = [];
  const sink = new SpoolSink({
    spool: new Spool(new DataLayout(dir).queueDir),
    router,
    onCommit: (entry: QueueEntry) => {
      const { meta, contentOffset, size } = entry;
      announced.push(JSON.parse(JSON.stringify({ meta, contentOffset, size })) as CommittedMessage);
    },
  });

  const first = await submit(sink, "first");
  assert.equal(announced.length, 1);
  assert.equal(queue.size, 0, "nothing is queued before the manager hears of it");
  assert.equal(await queue.adopt(first, announced[0]), true);
  assert.equal(await queue.adopt(first, announced[0]), true, "adopting twice queues once");
  assert.match((await inbox(dir, 1)).join(""), /Subject: first/);
  // Delivered and gone: a late announcement (a rescan beat it) does not queue it again.
  for (let i = 0; queue.size > 0 && i < 200; i++) await sleep(10);
  assert.equal(await queue.adopt(first, announced[0]), true);
  assert.equal(queue.size, 0);

  // Without the header: the file is read.
  const second = await submit(sink, "second");
  assert.equal(await queue.adopt(second), true);
  assert.match((await inbox(dir, 2)).join(""), /Subject: second/);

  // Not a message, not a queue id, a header of another message.
  assert.equal(await queue.adopt("0000000000000000000"), false);
  await assert.rejects(queue.adopt("../x"), TypeError);
  await assert.rejects(queue.adopt(second, announced[0]), TypeError);

  // Committed and never announced (the worker died): rescan() finds it; in-progress files are left.
  const third = await submit(sink, "third");
  const open = await sink.open(envelope([{ address: "a@z.test" }]));
  open.content.write("Subject: still arriving\r\n");
  assert.equal(await queue.rescan(), 1);
  assert.match((await inbox(dir, 3)).join(""), /Subject: third/);
  await open.abort();
  await sleep(50);
  assert.equal(queue.list().length, 0);
  assert.deepEqual(
    announced.map((a) => a.meta.id),
    [first, second, third],
  );
});

test("the queue's own sink: commit queues at once; a stopped queue takes no mail", async () => {
  const dir = await tempDir();
  const queue = await openQueue(dir);
  const message = await queue.open(envelope([{ address: "b@z.test" }]));
  message.content.end("Subject: own\r\n\r\nbody\r\n");
  await message.commit();
  const newDir = join(new DataLayout(dir).maildir("b@z.test"), "new");
  const deadline = Date.now() + 10_000;
  while ((await readdir(newDir).catch(() => [])).length === 0) {
    assert.ok(Date.now() < deadline, "delivered");
    await sleep(20);
  }
  await queue.stop(0);
  await assert.rejects(queue.open(envelope([{ address: "b@z.test" }])), /queue is stopped/);
  assert.equal(await queue.adopt("0000000000000000000"), false);
});
