import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseOptions } from "../../load/runner/options.js";
import { runLoad } from "../../load/runner/run.js";

describe("load runner against the embedded stack", () => {
  let dir: string | undefined;
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("drives 1:1 and group traffic with every acknowledged message delivered exactly once", { timeout: 180_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "load-runner-"));
    const out = join(dir, "result.json");
    const options = parseOptions(
      ["--embedded", "--users", "6", "--rate", "10", "--group-rate", "2", "--group-size", "4", "--duration-seconds", "3"],
      { LOAD_RAMP_SECONDS: "1", LOAD_OUT: out },
    );
    const result = await runLoad(options, () => {});

    const sends = result.counts.direct.sent + result.counts.group.sent;
    assert.equal(result.counts.direct.sent, 30);
    assert.equal(result.counts.group.sent, 6);
    assert.equal(result.counts.direct.receipts + result.counts.group.receipts, sends, "receipts == sends");
    assert.equal(result.exactlyOnce.missing, 0, "lost");
    assert.equal(result.exactlyOnce.duplicates, 0, "duplicates");
    assert.equal(result.exactlyOnce.expectedDeliveries, 30 + 6 * 3);
    assert.equal(result.ok, true);

    const written = JSON.parse(await readFile(out, "utf8")) as typeof result;
    for (const name of ["directReceipt", "directDelivery", "groupReceipt", "groupDelivery"] as const) {
      const summary = written.latencyMs[name];
      for (const field of ["p50", "p95", "p99", "max"] as const) assert.equal(typeof summary[field], "number", `${name}.${field}`);
      assert.ok(summary.count > 0, `${name} has samples`);
      assert.ok(summary.p50 <= summary.p95 && summary.p95 <= summary.p99 && summary.p99 <= summary.max, name);
    }
    assert.equal(written.latencyMs.groupDelivery.count, 18);
  });
});
