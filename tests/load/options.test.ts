import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseOptions } from "../../load/runner/options.js";
import { ticksDue } from "../../load/runner/scheduler.js";

describe("load runner options", () => {
  it("has the documented defaults", () => {
    const o = parseOptions(["--embedded"]);
    assert.equal(o.api, "http://127.0.0.1:8092");
    assert.deepEqual(o.gateways, ["http://127.0.0.1:5280"]);
    assert.equal(o.users, 100);
    assert.equal(o.rampSeconds, 10);
    assert.equal(o.rate, 50);
    assert.equal(o.groupRate, 5);
    assert.equal(o.groupSize, 20);
    assert.equal(o.durationSeconds, 30);
    assert.equal(o.embedded, true);
    assert.match(o.out, /^load\/results\/run-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  });

  it("reads flags over environment variables and splits the gateway list", () => {
    const o = parseOptions(["--users", "6", "--gateway", "http://a:1, http://b:2", "--sms-code-free", "--out", "x.json"], {
      LOAD_USERS: "99",
      LOAD_RATE: "7.5",
      LOAD_GROUP_SIZE: "4",
      LOAD_API: "http://api:9",
    });
    assert.equal(o.users, 6);
    assert.equal(o.rate, 7.5);
    assert.equal(o.groupSize, 4);
    assert.equal(o.api, "http://api:9");
    assert.deepEqual(o.gateways, ["http://a:1", "http://b:2"]);
    assert.equal(o.smsCodeFree, true);
    assert.equal(o.out, "x.json");
    assert.equal(parseOptions([], { LOAD_EMBEDDED: "true" }).embedded, true);
  });

  it("refuses bad input with readable messages", () => {
    assert.throws(() => parseOptions(["--embedded", "--users", "-3"]), /users/);
    assert.throws(() => parseOptions(["--embedded", "--users", "5", "--group-size", "6"]), /group-size \(6\) must be ≤ --users \(5\)/);
    assert.throws(() => parseOptions(["--embedded", "--gateway", "ftp://x"]), /gateways/);
    assert.throws(() => parseOptions(["--embedded", "--bogus", "1"]), /bogus/);
    // An external stack must be declared SMS-free (or registration would fail half-way).
    assert.throws(() => parseOptions([]), /API_SMS_REQUIRED=false/);
    // No group traffic: the group size is not checked against the users.
    assert.equal(parseOptions(["--embedded", "--users", "3", "--group-rate", "0"]).groupRate, 0);
  });
});

describe("fixed-rate schedule", () => {
  it("makes tick i due at i / rate and stops at rate × duration ticks", () => {
    assert.equal(ticksDue(0, 10, 1000), 1);
    assert.equal(ticksDue(99, 10, 1000), 1);
    assert.equal(ticksDue(100, 10, 1000), 2);
    assert.equal(ticksDue(5000, 10, 1000), 10);
    assert.equal(ticksDue(Number.POSITIVE_INFINITY, 10, 3000), 30);
    assert.equal(ticksDue(100, 0, 1000), 0);
  });
});
