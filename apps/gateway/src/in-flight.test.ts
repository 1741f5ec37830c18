import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlightEvents } from "./in-flight.js";

describe("InFlightEvents", () => {
  it("counts an event until its ack is called (once), and ignores events without an ack", async () => {
    const inFlight = new InFlightEvents();
    const replies: unknown[] = [];
    const packet: unknown[] = ["message:send", { content: "x" }, (reply: unknown) => replies.push(reply)];
    let passed = 0;
    inFlight.track(packet, () => passed++);
    inFlight.track(["typing", { to: 1 }], () => passed++);
    assert.equal(passed, 2);
    assert.equal(inFlight.size, 1);
    assert.equal(await inFlight.drained(30), false, "still owed after the timeout");

    const ack = packet[2] as (reply: unknown) => void;
    setTimeout(() => ack({ ok: true }), 20);
    assert.equal(await inFlight.drained(1_000), true);
    ack({ ok: true });
    assert.equal(inFlight.size, 0, "a second call does not count twice");
    assert.deepEqual(replies, [{ ok: true }, { ok: true }]);
  });
});
