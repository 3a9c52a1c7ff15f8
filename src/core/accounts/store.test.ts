import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AccountError, AccountStore } from "./store.js";
import { hashPassword, isScryptHash, verifyPassword } from "./password.js";

const dataDir = (): Promise<string> => mkdtemp(join(tmpdir(), "portico-accounts-"));

test("scrypt hashes verify, differ per salt, and reject wrong passwords and malformed hashes", async () => {
  const a = await hashPassword("pässword", 10);
  const b = await hashPassword("pässword", 10);
  assert.notEqual(a, b);
  assert.ok(isScryptHash(a));
  assert.equal(await verifyPassword("pässword", a), true);
  assert.equal(await verifyPassword("password", a), false);
  assert.equal(await verifyPassword("pässword", "$scrypt$garbage"), false);
  assert.equal(await verifyPassword("x", a.replace("ln=10", "ln=99")), false);
});

test("reads and writes passlib's $scrypt$ format (checked against Python's hashlib.scrypt)", async () => {
  // passlib's format: $scrypt$ln=LOG2N,r=R,p=P$SALT$CHECKSUM, both in "adapted base64"
  // (standard alphabet with "." for "+", no padding). Python computes one independently.
  const script = [
    "import base64, hashlib, sys",
    "ab64 = lambda b: base64.b64encode(b).decode().rstrip('=').replace('+', '.')",
    "salt = bytes(range(16))",
    "key = hashlib.scrypt(sys.argv[1].encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)",
    "print('$scrypt$ln=10,r=8,p=1$' + ab64(salt) + '$' + ab64(key))",
  ].join("\n");
  const fromPython = execFileSync("python3", ["-c", script, "pässword"], { encoding: "utf8" }).trim();
  assert.ok(isScryptHash(fromPython), fromPython);
  assert.equal(await verifyPassword("pässword", fromPython), true);
  assert.equal(await verifyPassword("password", fromPython), false);
  const ours = await hashPassword("x", 10);
  assert.match(ours, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9./]{22}\$[A-Za-z0-9./]{43}$/);
});

test("add, authenticate, list, passwd, delete; case-insensitive addresses", async () => {
  const dir = await dataDir();
  const store = new AccountStore({ dataDir: dir });
  const account = await store.add("User1@ISP.test", "pw1");
  assert.equal(account.address, "user1@isp.test");
  assert.equal(account.maildir, join(dir, "mail", "isp.test", "user1"));
  assert.equal(account.home, join(dir, "home", "isp.test", "user1"));
  assert.equal((await store.authenticate("USER1@isp.test", "pw1"))?.address, "user1@isp.test");
  assert.equal(await store.authenticate("user1@isp.test", "wrong"), undefined);
  assert.equal(await store.authenticate("nobody@isp.test", "pw1"), undefined);
  // A cached success does not let a wrong password in.
  assert.equal(await store.authenticate("user1@isp.test", "pw1x"), undefined);
  await assert.rejects(store.add("user1@isp.test", "x"), AccountError);
  await store.setPassword("user1@isp.test", "pw2");
  assert.equal(await store.authenticate("user1@isp.test", "pw1"), undefined);
  assert.ok(await store.authenticate("user1@isp.test", "pw2"));
  assert.deepEqual(await store.list(), ["user1@isp.test"]);
  await store.delete("user1@isp.test");
  assert.deepEqual(await store.list(), []);
  await assert.rejects(store.delete("user1@isp.test"), /no such account/);
});

test("another process's edit of the file is seen without a restart", async () => {
  const dir = await dataDir();
  const server = new AccountStore({ dataDir: dir });
  assert.equal(await server.get("a@b.test"), undefined);
  await new AccountStore({ dataDir: dir }).add("a@b.test", "pw");
  assert.ok(await server.get("a@b.test"));
  assert.ok(await server.authenticate("a@b.test", "pw"));
  const text = await readFile(join(dir, "users.passwd"), "utf8");
  assert.doesNotMatch(text, /:pw$/m);
});

test("config users: clear password or hash, read-only", async () => {
  const dir = await dataDir();
  const hash = await hashPassword("hashed", 10);
  const store = new AccountStore({
    dataDir: dir,
    users: [
      { address: "u2@org.test", password: "s3cret" },
      { address: "u3@org.test", passwordHash: hash },
    ],
  });
  assert.ok(await store.authenticate("u2@org.test", "s3cret"));
  assert.equal(await store.authenticate("u2@org.test", "s3cret "), undefined);
  assert.ok(await store.authenticate("U3@org.test", "hashed"));
  await assert.rejects(store.delete("u2@org.test"), /defined in the config file/);
  await assert.rejects(store.add("u2@org.test", "x"), /already exists/);
});

test("a malformed accounts file is an error naming FILE:LINE", async () => {
  const dir = await dataDir();
  await writeFile(join(dir, "users.passwd"), "# comment\nnot-a-line\n");
  await assert.rejects(new AccountStore({ dataDir: dir }).list(), (e: Error) => {
    assert.ok(e instanceof AccountError);
    assert.match(e.message, /users\.passwd:2: not an "address:\$scrypt\$…" line/);
    return true;
  });
});

test("concurrent adds from two stores (two processes) both land", async () => {
  const dir = await dataDir();
  const a = new AccountStore({ dataDir: dir });
  const b = new AccountStore({ dataDir: dir });
  await Promise.all([a.add("one@x.test", "1"), b.add("two@x.test", "2"), a.add("three@x.test", "3")]);
  assert.deepEqual(await new AccountStore({ dataDir: dir }).list(), [
    "one@x.test",
    "three@x.test",
    "two@x.test",
  ]);
});
