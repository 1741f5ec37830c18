import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePayload, ExactlyOnceLedger, encodePayload } from "../../load/runner/checks.js";

describe("exactly-once ledger", () => {
  it("passes when every acknowledged message reaches each recipient once", () => {
    const ledger = new ExactlyOnceLedger();
    ledger.expect("m1", "direct", [2]);
    ledger.expect("m2", "group", [2, 3, 4]);
    assert.equal(ledger.outstanding(), 4);
    assert.equal(ledger.deliver("m2", 3), "first"); // a delivery may beat the receipt
    ledger.acknowledge("m1");
    ledger.acknowledge("m2");
    ledger.deliver("m1", 2);
    ledger.deliver("m2", 2);
    ledger.deliver("m2", 4);
    assert.equal(ledger.outstanding(), 0);
    const report = ledger.report();
    assert.equal(report.acknowledged, 2);
    assert.equal(report.expectedDeliveries, 4);
    assert.equal(report.delivered, 4);
    assert.equal(report.missing, 0);
    assert.equal(report.duplicates, 0);
  });

  it("counts missing and duplicate deliveries of acknowledged messages", () => {
    const ledger = new ExactlyOnceLedger();
    ledger.expect("m1", "group", [2, 3]);
    ledger.acknowledge("m1");
    ledger.deliver("m1", 2);
    assert.equal(ledger.deliver("m1", 2), "duplicate");
    ledger.deliver("m1", 2);
    const report = ledger.report();
    assert.equal(report.missing, 1);
    assert.deepEqual(report.missingSamples, [{ messageId: "m1", kind: "group", userId: 3 }]);
    assert.equal(report.duplicates, 2);
    assert.deepEqual(report.duplicateSamples, [{ messageId: "m1", kind: "group", userId: 2, times: 3 }]);
  });

  it("does not hold failed or unacknowledged sends against the run, and flags strangers", () => {
    const ledger = new ExactlyOnceLedger();
    ledger.expect("failed", "direct", [2]);
    ledger.fail("failed");
    ledger.expect("unsettled", "direct", [2]);
    ledger.deliver("unsettled", 2);
    assert.equal(ledger.outstanding(), 0, "failed sends are not awaited");
    assert.equal(ledger.deliver("m9", 2), "unexpected");
    ledger.expect("m1", "direct", [2]);
    ledger.acknowledge("m1");
    assert.equal(ledger.deliver("m1", 5), "unexpected");
    const report = ledger.report();
    assert.equal(report.acknowledged, 1);
    assert.equal(report.missing, 1);
    assert.equal(report.unexpected, 2);
    assert.equal(report.deliveredUnacknowledged, 1);
  });

  it("round-trips the payload and ignores other content", () => {
    assert.deepEqual(decodePayload(encodePayload({ t: 12.5, id: "abc" })), { t: 12.5, id: "abc" });
    assert.equal(decodePayload("hello"), undefined);
    assert.equal(decodePayload("{broken"), undefined);
    assert.equal(decodePayload('{"t":"x","id":"a"}'), undefined);
  });
});
