import assert from "node:assert/strict";
import { test } from "node:test";
import { rfc5322Date } from "./date.js";

test("RFC 5322 dates in UTC and in local time", () => {
  assert.equal(
    rfc5322Date(new Date(Date.UTC(2006, 0, 2, 15, 4, 5)), { utc: true }),
    "Mon, 02 Jan 2006 15:04:05 +0000",
  );
  const local = rfc5322Date(new Date(0));
  assert.match(local, /^(Wed|Thu), \d\d (Dec|Jan) (1969|1970) \d\d:\d\d:\d\d [+-]\d{4}$/);
  // The local form names the same instant as the UTC one.
  assert.equal(new Date(local).getTime(), 0);
});
