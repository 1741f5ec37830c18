import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createMetricsRegistry } from "@im/telemetry";
import { closeHttpServer, listen, startHealthServer } from "./http.js";
import { Readiness } from "./readiness.js";

/** One GET on a fresh connection: status and body, or the connection error's code. */
function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe("health server", () => {
  it("serves liveness, readiness (with details; 503 once draining) and metrics, and 404 elsewhere", async () => {
    const registry = createMetricsRegistry("t");
    const readiness = new Readiness({ store: () => true });
    const health = await startHealthServer({
      registry,
      ready: () => readiness.isReady(),
      details: () => ({ leader: true }),
      host: "127.0.0.1",
      port: 0,
    });
    try {
      assert.deepEqual(await get(`${health.url}/healthz`), { status: 200, body: '{"status":"ok"}' });
      assert.deepEqual(await get(`${health.url}/readyz`), { status: 200, body: '{"status":"ready","leader":true}' });
      assert.match(JSON.stringify(await get(`${health.url}/metrics?x=1`)), /^\{"status":200,"body":".*process_cpu/);
      assert.deepEqual(await get(`${health.url}/other`), { status: 404, body: "" });
      readiness.drain();
      assert.deepEqual(await get(`${health.url}/readyz`), { status: 503, body: '{"status":"not ready","leader":true}' });
    } finally {
      await health.close();
    }
  });

  it("reports not ready when a check fails", () => {
    let up = false;
    const readiness = new Readiness({ redis: () => up });
    assert.equal(readiness.isReady(), false);
    up = true;
    assert.equal(readiness.isReady(), true);
  });
});

describe("closeHttpServer", () => {
  it("lets an in-flight request finish, refuses new connections, and resolves when all are closed", async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = createServer((req, res) => {
      if (req.url === "/slow") {
        started();
        setTimeout(() => res.end("done"), 300);
      } else res.end("fast");
    });
    server.keepAliveTimeout = 60_000;
    const { url } = await listen(server, 0, "127.0.0.1");
    const slow = get(`${url}/slow`);
    await inFlight;
    const closing = closeHttpServer(server, 5_000);
    await sleep(20);
    assert.deepEqual(await get(`${url}/fast`), { error: "ECONNREFUSED" });
    assert.deepEqual(await slow, { status: 200, body: "done" });
    await closing;
    assert.equal(server.listening, false);
  });

  it("cuts a request still running after the grace period", async () => {
    const server = createServer(() => {
      // Never answers.
    });
    const { url } = await listen(server, 0, "127.0.0.1");
    const hanging = get(`${url}/hang`);
    await sleep(50);
    const started = Date.now();
    await closeHttpServer(server, 200);
    assert.ok(Date.now() - started < 2_000);
    assert.ok("error" in (await hanging));
  });
});
