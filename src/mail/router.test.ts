import assert from "node:assert/strict";
import { test } from "node:test";
import { MailRouter } from "./router.js";

const accounts = new Set(["user1@org.test", "user2@org.test", "user3@org.test"]);
const router = new MailRouter({
  localDomains: ["org.test", "other.test"],
  aliases: new Map([
    ["staff@org.test", ["user2@org.test", "user3@org.test", "all@org.test"]],
    ["all@org.test", ["staff@org.test", "user1@org.test", "boss@remote.test"]],
    ["loop1@org.test", ["loop2@org.test"]],
    ["loop2@org.test", ["loop1@org.test"]],
    ["info@org.test", ["user1@org.test"]],
  ]),
  accountExists: (a) => Promise.resolve(accounts.has(a)),
});

test("lookup: accounts, aliases, lists, plus-addressing, postmaster, remote", async () => {
  assert.deepEqual(await router.lookup("User1@org.test"), { kind: "mailbox", address: "user1@org.test" });
  assert.deepEqual(await router.lookup("user1+news@org.test"), {
    kind: "mailbox",
    address: "user1@org.test",
  });
  assert.deepEqual(await router.lookup("info@org.test"), { kind: "mailbox", address: "user1@org.test" });
  assert.equal((await router.lookup("staff@org.test")).kind, "list");
  assert.deepEqual(await router.lookup("nobody@org.test"), { kind: "unknown" });
  assert.deepEqual(await router.lookup("postmaster@other.test"), {
    kind: "mailbox",
    address: "postmaster@other.test",
  });
  assert.deepEqual(await router.lookup("postmaster"), { kind: "mailbox", address: "postmaster@org.test" });
  assert.deepEqual(await router.lookup("x@remote.test"), { kind: "remote" });
});

test("expand: nested lists, loops and duplicates end, remote members kept", async () => {
  assert.deepEqual(await router.expand("staff@org.test"), [
    { address: "user2@org.test", route: "local" },
    { address: "user3@org.test", route: "local" },
    { address: "user1@org.test", route: "local" },
    { address: "boss@remote.test", route: "remote" },
  ]);
  assert.deepEqual(await router.expand("loop1@org.test"), []);
  assert.deepEqual(await router.expand("user2+tag@org.test"), [
    { address: "user2@org.test", route: "local" },
  ]);
  assert.deepEqual(await router.expand("postmaster"), [{ address: "postmaster@org.test", route: "local" }]);
  assert.deepEqual(await router.expand("nobody@org.test"), []);
});
