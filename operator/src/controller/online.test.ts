import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { metricsUrl, OnlineUsersReader, sumMetric } from "./online.js";
import type { PodView } from "./pod-view.js";

const gatewayPod = (name: string, port: number, ready = true): PodView => ({
  metadata: { name, namespace: "im", labels: { "im.platform.io/cluster": "im", "app.kubernetes.io/component": "gateway" } },
  spec: { containers: [{ name: "gateway", ports: [{ name: "http", containerPort: port }] }] },
  status: { podIP: "127.0.0.1", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

describe("online users from the gateways' metrics endpoints", () => {
  let server: Server;
  let port: number;
  let online = "3";
  before(async () => {
    // A real HTTP server answering as a gateway's /metrics does.
    server = createServer((_request, response) => {
      response.end(`# HELP im_online_users users\n# TYPE im_online_users gauge\nim_online_users ${online}\nim_online_users_other 9\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sums the samples of one metric, labelled or not", () => {
    assert.equal(sumMetric('im_online_users 2\nim_online_users{a="b"} 3\nim_online_users_x 7\n', "im_online_users"), 5);
    assert.equal(sumMetric("other 1\n", "im_online_users"), undefined);
  });

  it("scrapes only ready pods with an IP and a port named http", () => {
    assert.equal(metricsUrl(gatewayPod("a", 8081)), "http://127.0.0.1:8081/metrics");
    assert.equal(metricsUrl(gatewayPod("a", 8081, false)), undefined);
    assert.equal(
      metricsUrl({ ...gatewayPod("a", 8081), status: { podIP: "fd00::1", conditions: [{ type: "Ready", status: "True" }] } }),
      "http://[fd00::1]:8081/metrics",
    );
  });

  it("sums the gateways, notifies on change, and forgets the count after 3 intervals without an answer", async () => {
    let pods = [gatewayPod("a", port), gatewayPod("b", port), gatewayPod("c", port, false)];
    const changed: string[] = [];
    const reader = new OnlineUsersReader({ pods: () => pods, intervalSeconds: 30, onChange: (ns, name) => changed.push(`${ns}/${name}`) });
    const t0 = new Date("2026-12-01T00:00:00Z");
    await reader.refresh(() => t0);
    assert.deepEqual(reader.get("im", "im"), { count: 6, observedAt: t0 });
    assert.deepEqual(changed, ["im/im"]);
    await reader.refresh(() => new Date(t0.getTime() + 30_000));
    assert.equal(changed.length, 1, "same count: no new status write");
    online = "4";
    await reader.refresh(() => new Date(t0.getTime() + 60_000));
    assert.equal(reader.get("im", "im")?.count, 8);
    pods = [];
    await reader.refresh(() => new Date(t0.getTime() + 120_000));
    assert.equal(reader.get("im", "im")?.count, 8, "kept for 3 intervals");
    await reader.refresh(() => new Date(t0.getTime() + 150_000));
    assert.equal(reader.get("im", "im"), undefined);
    assert.equal(changed.length, 3);
  });
});
