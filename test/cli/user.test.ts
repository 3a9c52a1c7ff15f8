import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { runPortico, tempDir } from "../support/cli.js";

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

test("user add, list, passwd, del through the command line; no clear password on disk", async () => {
  const dir = await tempDir();
  const password = "correct horse battery staple";
  const add = await runPortico(["user", "add", "a@localhost", "--password-stdin"], {
    cwd: dir,
    input: `${password}\n`,
  });
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^added a@localhost/);

  const list = await runPortico(["user", "list"], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split("\n"), ["a@localhost"]);

  // The password appears nowhere in the data directory in clear (nor base64/hex of it).
  const needles = [password, Buffer.from(password).toString("base64"), Buffer.from(password).toString("hex")];
  for (const file of await allFiles(join(dir, "portico-data"))) {
    const content = await readFile(file, "latin1");
    for (const needle of needles) assert.ok(!content.includes(needle), `${file} contains the password`);
  }
  const passwd = await readFile(join(dir, "portico-data", "users.passwd"), "utf8");
  assert.match(passwd, /^a@localhost:\$scrypt\$ln=15,r=8,p=1\$/m);
  assert.equal(
    (await stat(join(dir, "portico-data", "users.passwd"))).mode & 0o077,
    0,
    "accounts file is private",
  );

  const again = await runPortico(["user", "add", "A@LOCALHOST", "--password-stdin"], {
    cwd: dir,
    input: "x\n",
  });
  assert.equal(again.code, 1);
  assert.equal(again.stderr.trim(), "portico: Cannot add a@localhost: it already exists");

  const change = await runPortico(["user", "passwd", "a@localhost", "--password-stdin"], {
    cwd: dir,
    input: "new\n",
  });
  assert.equal(change.code, 0, change.stderr);
  assert.notEqual(await readFile(join(dir, "portico-data", "users.passwd"), "utf8"), passwd);

  const del = await runPortico(["user", "del", "a@localhost"], { cwd: dir });
  assert.equal(del.code, 0, del.stderr);
  assert.equal((await runPortico(["user", "list"], { cwd: dir })).stdout, "");
  const missing = await runPortico(["user", "del", "a@localhost"], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), "portico: Cannot delete a@localhost: no such account");
});

test("user add refuses a bad address and an empty stdin", async () => {
  const dir = await tempDir();
  const bad = await runPortico(["user", "add", "nobody", "--password-stdin"], { cwd: dir, input: "x\n" });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Cannot use "nobody" as an account/);
  const empty = await runPortico(["user", "add", "b@localhost", "--password-stdin"], { cwd: dir, input: "" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /standard input is empty/);
  const noTty = await runPortico(["user", "add", "b@localhost"], { cwd: dir });
  assert.equal(noTty.code, 2);
  assert.match(noTty.stderr, /no terminal; use --password-stdin/);
});

test("user list shows config [[users]] too, with -c", async () => {
  const dir = await tempDir();
  const { writeFile } = await import("node:fs/promises");
  await writeFile(
    join(dir, "p.toml"),
    '[[users]]\naddress = "User2@Organization.test"\npassword = "s3cret"\n',
  );
  const list = await runPortico(["user", "list", "-c", "p.toml"], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout.trim(), "user2@organization.test");
  const del = await runPortico(["user", "del", "user2@organization.test", "-c", "p.toml"], { cwd: dir });
  assert.equal(del.code, 1);
  assert.match(del.stderr, /defined in the config file's \[\[users\]\]; edit it there/);
});
