import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidConfigError } from "../errors.js";
import { defaultOptions, parseConfig } from "./load.js";

function problems(text: string): string[] {
  try {
    parseConfig(text, "/etc/p.toml");
  } catch (error) {
    assert.ok(error instanceof InvalidConfigError, `expected InvalidConfigError, got ${String(error)}`);
    return error.issues.map((i) => i.message);
  }
  return [];
}

const FULL = `
hostname = "mx.organization.test"
data_dir = "./portico-data"

[dns]
listen = ["127.0.0.1:1053"]
zones = ["zones/organization.test.zone"]
recursion = false
forwarders = []

[smtp]
listen = ["127.0.0.1:2525"]
submission = ["127.0.0.1:2587"]
submissions = ["127.0.0.1:2465"]
local_domains = ["organization.test"]
trusted_networks = ["127.0.0.0/8"]
resolver = "127.0.0.1:1053"
relay_port = 25
max_message_size = 26214400

[smtp.aliases]
"postmaster@organization.test" = ["user2@organization.test"]
"staff@organization.test" = ["user2@organization.test", "user3@organization.test"]

[pop3]
listen = ["127.0.0.1:2110"]
listen_tls = ["127.0.0.1:2995"]
[imap]
listen = ["127.0.0.1:2143"]
listen_tls = ["127.0.0.1:2993"]
[ftp]
listen = ["127.0.0.1:2121"]
passive_ports = "30000-30099"
passive_address = ""
anonymous = false
[ssh]
listen = ["127.0.0.1:2222"]
[telnet]
listen = ["127.0.0.1:2323"]
[web]
listen = ["127.0.0.1:8080"]

[tls]
cert = "/etc/portico/cert.pem"
key = "/etc/portico/key.pem"

[[users]]
address = "user2@organization.test"
password = "s3cret"
`;

test("PRODUCT.md's example config is valid and typed", () => {
  const o = parseConfig(FULL, "/etc/portico/portico.toml");
  assert.equal(o.hostname, "mx.organization.test");
  assert.equal(o.dataDir, "/etc/portico/portico-data");
  assert.deepEqual(o.dns?.zones, ["/etc/portico/zones/organization.test.zone"]);
  assert.deepEqual(o.dns?.listen, [{ host: "127.0.0.1", port: 1053, family: 4 }]);
  assert.equal(o.smtp?.trustedNetworks.has("127.9.9.9"), true);
  assert.equal(o.smtp?.trustedNetworks.has("10.0.0.1"), false);
  assert.deepEqual(o.smtp?.resolver, { host: "127.0.0.1", port: 1053, family: 4 });
  assert.deepEqual(o.smtp?.aliases.get("staff@organization.test"), [
    "user2@organization.test",
    "user3@organization.test",
  ]);
  assert.deepEqual(o.ftp?.passivePorts, { first: 30000, last: 30099 });
  assert.equal(o.ftp?.passiveAddress, undefined);
  assert.deepEqual(o.tls, { cert: "/etc/portico/cert.pem", key: "/etc/portico/key.pem" });
  assert.deepEqual(o.users, [{ address: "user2@organization.test", password: "s3cret" }]);
});

test("an omitted section is a service that does not run; an empty one gets default addresses", () => {
  const o = parseConfig("[imap]\n", "/x/p.toml");
  assert.equal(o.smtp, undefined);
  assert.equal(o.dns, undefined);
  assert.deepEqual(
    o.imap?.listen.map((a) => a.port),
    [2143],
  );
  assert.equal(o.hostname, "localhost");
});

test("an unknown key is an error naming its line and the keys expected", () => {
  const out = problems('hostname = "a.test"\n[dns]\nlisten = ["127.0.0.1:53"]\nrecursoin = true\n');
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^\/etc\/p\.toml:4: dns\.recursoin: unknown key \(expected one of: .*recursion.*\)$/);
  assert.match(problems("colour = 1\n")[0]!, /^\/etc\/p\.toml:1: colour: unknown key/);
  assert.match(problems("[nntp]\nlisten = []\n")[0]!, /^\/etc\/p\.toml:1: nntp: unknown key/);
});

test("a TOML syntax error names its line", () => {
  const out = problems('hostname = "a.test"\n[dns\nlisten = 1\n');
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^\/etc\/p\.toml:2: TOML syntax error/);
  assert.ok(!out[0]!.includes("\n"));
});

test("bad addresses and ports out of range name the element's line", () => {
  const out = problems(
    '[smtp]\nlisten = [\n  "127.0.0.1:25",\n  "localhost:25",\n  "127.0.0.1:70000",\n]\nrelay_port = 0\n',
  );
  assert.deepEqual(out, [
    '/etc/p.toml:4: smtp.listen[1]: "localhost" is not an IPv4 or IPv6 address (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")',
    '/etc/p.toml:5: smtp.listen[2]: port 70000 is out of range 0-65535 (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")',
    "/etc/p.toml:7: smtp.relay_port: 0 is out of range (expected a whole number from 1 to 65535)",
  ]);
});

test("wrong types, bad networks, bad users and aliases are each reported", () => {
  const out = problems(`
[dns]
recursion = "yes"
[smtp]
trusted_networks = ["10.0.0.0/33"]
[smtp.aliases]
"a@b.test" = 7
[[users]]
address = "nobody"
password = "x"
[[users]]
address = "u@b.test"
`);
  assert.deepEqual(out, [
    '/etc/p.toml:3: dns.recursion: is the string "yes" (expected true or false)',
    '/etc/p.toml:5: smtp.trusted_networks[0]: "10.0.0.0/33" has a prefix length outside 0-32 (expected e.g. "127.0.0.0/8")',
    '/etc/p.toml:7: smtp.aliases."a@b.test": is not an address or a list of addresses (expected ["user@domain", …])',
    '/etc/p.toml:9: users[0].address: "nobody" is not a mail address (expected "user@domain")',
    "/etc/p.toml:11: users[1]: needs exactly one of password and password_hash",
  ]);
});

test("IPv6 listen addresses in brackets", () => {
  const o = parseConfig('[dns]\nlisten = ["[::1]:1053", "127.0.0.1:0"]\n', "/p.toml");
  assert.deepEqual(o.dns?.listen, [
    { host: "::1", port: 1053, family: 6 },
    { host: "127.0.0.1", port: 0, family: 4 },
  ]);
});

test("[dns] transfer, NOTIFY, recursion and PTR keys: defaults, values and bad entries", () => {
  const d = parseConfig("[dns]\n", "/p.toml").dns!;
  assert.deepEqual(d.allowTransfer?.networks, []);
  assert.deepEqual(d.notify, []);
  assert.deepEqual(d.allowRecursion?.networks, ["127.0.0.0/8", "::1/128"]);
  assert.equal(d.synthesizePtr, false);
  const o = parseConfig(
    [
      "[dns]",
      'allow_transfer = ["192.0.2.0/24", "2001:db8::1"]',
      'notify = ["192.0.2.2:53", "[2001:db8::2]:5300"]',
      'allow_recursion = ["10.0.0.0/8"]',
      "synthesize_ptr = true",
    ].join("\n"),
    "/p.toml",
  ).dns!;
  assert.equal(o.allowTransfer?.has("192.0.2.9"), true);
  assert.equal(o.allowTransfer?.has("2001:db8::1"), true);
  assert.equal(o.allowTransfer?.has("127.0.0.1"), false);
  assert.deepEqual(o.notify, [
    { host: "192.0.2.2", port: 53, family: 4 },
    { host: "2001:db8::2", port: 5300, family: 6 },
  ]);
  assert.equal(o.allowRecursion?.has("10.1.2.3"), true);
  assert.equal(o.allowRecursion?.has("127.0.0.1"), false);
  assert.equal(o.synthesizePtr, true);
  assert.deepEqual(
    problems('[dns]\nallow_transfer = ["10.0.0.0/40"]\nnotify = ["192.0.2.2"]\nsynthesize_ptr = "yes"\n'),
    [
      '/etc/p.toml:2: dns.allow_transfer[0]: "10.0.0.0/40" has a prefix length outside 0-32 (expected e.g. "127.0.0.0/8")',
      '/etc/p.toml:3: dns.notify[0]: "192.0.2.2" has no port (expected "IP:PORT", e.g. "127.0.0.1:2525" or "[::1]:2525")',
      '/etc/p.toml:4: dns.synthesize_ptr: is the string "yes" (expected true or false)',
    ],
  );
});

test("the embedded default has every service on 127.0.0.1 at PRODUCT.md's ports", () => {
  const o = defaultOptions("/srv");
  assert.equal(o.dataDir, "/srv/portico-data");
  assert.equal(o.hostname, "localhost");
  assert.deepEqual(o.smtp?.localDomains, ["localhost"]);
  const ports = [o.dns, o.smtp, o.pop3, o.imap, o.ftp, o.ssh, o.telnet, o.web].map((s) => s?.listen[0]?.port);
  assert.deepEqual(ports, [1053, 2525, 2110, 2143, 2121, 2222, 2323, 8080]);
  assert.deepEqual(
    [
      o.smtp!.submission[0]!.port,
      o.smtp!.submissions[0]!.port,
      o.pop3!.listenTls[0]!.port,
      o.imap!.listenTls[0]!.port,
    ],
    [2587, 2465, 2995, 2993],
  );
});

test("[smtp] queue keys: durations as seconds or with units, defaults, bad values", () => {
  const o = parseConfig(
    '[smtp]\nretry_intervals = ["30s", 60, "1.5h"]\nqueue_lifetime = "2d"\ndelay_warning = 0\ndestination_concurrency = 2\n',
    "/x/p.toml",
  );
  assert.deepEqual(o.smtp?.retryIntervalsMs, [30_000, 60_000, 5_400_000]);
  assert.equal(o.smtp?.queueLifetimeMs, 2 * 86_400_000);
  assert.equal(o.smtp?.delayWarningMs, 0);
  assert.equal(o.smtp?.destinationConcurrency, 2);
  const d = parseConfig("[smtp]\n", "/x/p.toml");
  assert.equal(d.smtp?.queueLifetimeMs, 5 * 86_400_000);
  assert.equal(d.smtp?.delayWarningMs, 4 * 3_600_000);
  const out = problems('[smtp]\nqueue_lifetime = "five days"\nretry_intervals = ["1m", "0s"]\n');
  assert.equal(out.length, 2);
  assert.match(out[0]!, /:2: smtp\.queue_lifetime: .*duration/);
  assert.match(out[1]!, /:3: smtp\.retry_intervals\[1\]: .*duration above zero/);
});

test("[smtp] workers: 1 (in-process) by default, an integer 0..64", () => {
  assert.equal(parseConfig("[smtp]\n", "/x/p.toml").smtp?.workers, 1);
  assert.equal(defaultOptions("/x").smtp?.workers, 1);
  assert.equal(parseConfig("[smtp]\nworkers = 0\n", "/x/p.toml").smtp?.workers, 0);
  assert.equal(parseConfig("[smtp]\nworkers = 64\n", "/x/p.toml").smtp?.workers, 64);
  const out = problems('[smtp]\nworkers = 65\n[pop3]\n[imap]\n[dns]\nworkers = "2"\n');
  assert.equal(out.length, 2);
  assert.match(out[0]!, /:2: smtp\.workers: 65 is out of range \(expected a whole number from 0 to 64\)/);
  assert.match(out[1]!, /:6: dns\.workers: /);
});
