import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { orderedClose } from "./shutdown.js";

describe("orderedClose", () => {
  it("runs each step after the one before has finished, in the order given", async () => {
    const log: string[] = [];
    const step = (name: string, ms: number) => ({
      name,
      run: async () => {
        log.push(`${name} start`);
        await sleep(ms);
        log.push(`${name} end`);
      },
    });
    await orderedClose([step("drain", 30), step("presence", 10), step("stores", 0)])();
    assert.deepEqual(log, ["drain start", "drain end", "presence start", "presence end", "stores start", "stores end"]);
  });

  it("logs a failed step and still runs the later ones", async () => {
    const warned: unknown[] = [];
    const ran: string[] = [];
    const close = orderedClose(
      [
        {
          name: "sockets",
          run: () => {
            throw new Error("boom");
          },
        },
        { name: "stores", run: () => ran.push("stores") },
      ],
      { warn: (obj: unknown) => warned.push(obj) },
    );
    await close();
    assert.deepEqual(ran, ["stores"]);
    assert.equal(warned.length, 1);
    assert.match(JSON.stringify(warned[0]), /"step":"sockets"/);
  });

  it("runs the steps once however often close() is called", async () => {
    let runs = 0;
    const close = orderedClose([{ name: "once", run: () => sleep(10).then(() => runs++) }]);
    const first = close();
    assert.equal(close(), first);
    await Promise.all([first, close()]);
    assert.equal(runs, 1);
  });
});
