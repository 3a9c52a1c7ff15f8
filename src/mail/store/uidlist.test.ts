import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UidlistFile, formatHeader, formatRecord, parseUidlist } from "./uidlist.js";

test("parses Dovecot's documented version 3 example", () => {
  const text =
    "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n" +
    "25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,\n" +
    "25017 W2481 :1276533073.M242911P3632.kurkku:2,F\n";
  const parsed = parseUidlist(text);
  assert.deepEqual(parsed.header, {
    uidValidity: 1275660208,
    nextUid: 25022,
    guid: "3085f01b7f11094c501100008c4a11c1",
    extra: [],
  });
  assert.deepEqual(parsed.records, [
    { uid: 25006, base: "1276528487.M364837P9451.kurkku,S=1355,W=1394", ext: [] },
    { uid: 25017, base: "1276533073.M242911P3632.kurkku", ext: ["W2481"] },
  ]);
  assert.equal(parsed.consumed, Buffer.byteLength(text));
});

test("reads version 1 (Courier); skips bad and out-of-order lines; leaves a partial line", () => {
  const v1 = parseUidlist("1 1234 10\n3 a.host\n2 b.host\nx y\n5 c.host:2,S\n6 d.ho");
  assert.equal(v1.header?.uidValidity, 1234);
  assert.deepEqual(
    v1.records.map((r) => [r.uid, r.base]),
    [
      [3, "a.host"],
      [5, "c.host"],
    ],
  );
  assert.equal(v1.consumed, "1 1234 10\n3 a.host\n2 b.host\nx y\n5 c.host:2,S\n".length);
  assert.equal(parseUidlist("garbage\n1 :x\n").header, undefined);
});

test("format round-trips, keeping unknown header and record fields", () => {
  const header = { uidValidity: 7, nextUid: 9, guid: "0".repeat(32), extra: ["Xfoo"] };
  const record = { uid: 8, base: "1.M2P3.h,S=4", ext: ["W5", "GABC"] };
  const parsed = parseUidlist(formatHeader(header) + formatRecord(record));
  assert.deepEqual(parsed.header, header);
  assert.deepEqual(parsed.records, [record]);
});

test("UidlistFile re-reads only appended lines, and all after a rename over it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "portico-uidlist-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "dovecot-uidlist");
  await writeFile(path, `3 V5 N2 G${"a".repeat(32)}\n1 :one\n`);
  const file = new UidlistFile(path);
  assert.equal((await file.refresh())?.length, 1);
  assert.equal(await file.changed(), false);
  await appendFile(path, "2 :two\n3 :thr");
  assert.equal(await file.changed(), true);
  assert.deepEqual(
    (await file.refresh())?.map((r) => r.uid),
    [2],
  );
  await appendFile(path, "ee\n");
  assert.deepEqual(
    (await file.refresh())?.map((r) => r.base),
    ["three"],
  );
  assert.equal(file.nextUid, 4);
  await file.append([{ uid: 4, base: "four", ext: [] }]);
  assert.match(await readFile(path, "utf8"), /3 :three\n4 :four\n$/);
  await file.rewrite({ uidValidity: 5, nextUid: 10, guid: "b".repeat(32), extra: [] }, [
    { uid: 4, base: "four", ext: [] },
  ]);
  assert.equal(await readFile(path, "utf8"), `3 V5 N10 G${"b".repeat(32)}\n4 :four\n`);
  assert.deepEqual([...file.byBase.keys()], ["four"]);
  const other = new UidlistFile(path);
  await other.refresh();
  assert.equal(other.nextUid, 10);
});
