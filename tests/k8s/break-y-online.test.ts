// Breaker y: a gateway pod whose metrics endpoint streams an endless body (gigabytes for one scrape), on a real
// kube-apiserver. The operator reads ONLINE from it every interval; its memory (the chart's limit is 256Mi) must
// not follow the body.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { helpers, minimalSpec, paths } from "./lifecycle-support.js";
import { type OperatorProcess, OperatorWorld, until } from "./operator-world.js";

const ns = "im";
/** Peak resident memory of a process in MiB (VmHWM). */
const peakMiB = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

describe("breaker y: a gateway metrics endpoint that never ends", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    for (const secret of ["im-mongo", "im-redis"]) await h.createSecret(ns, secret, { url: "unused://" });
    operator = await world.startOperator("operator-break-y-online", { OPERATOR_ONLINE_REFRESH_SECONDS: "1" });
  });
  after(() => world?.stop());

  it("an endless /metrics body is cut off without the operator's memory growing with it", async () => {
    const name = "flood";
    const chunk = Buffer.from(`# ${"x".repeat(1024 * 1024 - 3)}\n`);
    let served = 0;
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const deadline = Date.now() + 5_000;
      const pump = () => {
        while (Date.now() < deadline && !res.destroyed) {
          served += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await h.applyCluster(ns, name, minimalSpec());
      await until(
        "first status",
        () => h.get(paths(ns, name).cluster),
        (c) => c.status?.observedGeneration === 1,
      );
      const before = peakMiB(operator.process.pid);
      const pod = `${name}-gateway-flood`;
      await world.admin.request("POST", `/api/v1/namespaces/${ns}/pods`, {
        body: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: pod, labels: { "im.platform.io/cluster": name, "app.kubernetes.io/component": "gateway" } },
          spec: {
            containers: [{ name: "gateway", image: "ghcr.io/im-platform/im:0.2.0", ports: [{ name: "http", containerPort: port }] }],
          },
        },
      });
      await world.admin.mergePatch(`/api/v1/namespaces/${ns}/pods/${pod}/status`, {
        status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }], conditions: [{ type: "Ready", status: "True" }] },
      });
      await until(
        "a few scrapes",
        async () => served,
        (n) => n > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const grown = peakMiB(operator.process.pid) - before;
      assert.ok(grown < 64, `peak memory grew by ${grown.toFixed(0)} MiB while the endpoint sent ${(served / 2 ** 20).toFixed(0)} MiB`);
      assert.equal((await h.get(paths(ns, name).cluster)).status?.onlineUsers, undefined);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
