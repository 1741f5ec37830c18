import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import type { DeliveredMessage } from "@im/protocol";
import { metricValue, type Sample, scrape } from "../support/prometheus.js";
import {
  collect,
  connectClient,
  type GatewayProcess,
  type RealtimeWorld,
  registerUser,
  startGatewayProcess,
  startRealtime,
} from "../support/realtime.js";

/** A TCP proxy to one server that can be cut (every connection reset, new ones refused) and restored. */
class CuttableProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private cutOff = false;
  port = 0;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => {
      if (this.cutOff) {
        client.destroy();
        return;
      }
      client.pause();
      const upstream = connect({ port: this.upstreamPort, host: "127.0.0.1" });
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.open.delete(client);
        this.open.delete(upstream);
      };
      upstream.once("connect", () => {
        this.open.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      client.once("close", close).once("error", close);
      upstream.once("close", close).once("error", close);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** The server becomes unreachable: open connections are reset, new ones closed at once. */
  cut(): void {
    this.cutOff = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.cutOff = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const portOf = (url: string) => Number(new URL(url).port);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("an unavailable dependency is answered retryable and the SDK retries (issue 10 item 1g)", () => {
  let world: RealtimeWorld;
  let redisProxy: CuttableProxy;
  let mongoProxy: CuttableProxy;
  let gw: GatewayProcess;
  before(async () => {
    world = await startRealtime(0, { API_SMS_REQUIRED: "false" });
    redisProxy = new CuttableProxy(portOf(world.stack.config.REDIS_URL));
    mongoProxy = new CuttableProxy(portOf(world.stack.config.MONGO_URL));
    const [redisPort, mongoPort] = await Promise.all([redisProxy.start(), mongoProxy.start()]);
    const mongoUrl = new URL(world.stack.config.MONGO_URL);
    mongoUrl.port = String(mongoPort);
    gw = await startGatewayProcess(world.stack, "gw-outage", {
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MONGO_URL: mongoUrl.toString(),
    });
    world.gateways.push(gw);
  });
  after(
    async () => {
      await world.stop();
      await Promise.all([redisProxy.stop(), mongoProxy.stop()]);
    },
    { timeout: 60_000 },
  );

  for (const dependency of ["Redis", "MongoDB"] as const) {
    it(`${dependency} unreachable for 5 s while 30 messages are sent: every one acknowledged once it is back, none failed`, {
      timeout: 90_000,
    }, async () => {
      const proxy = dependency === "Redis" ? redisProxy : mongoProxy;
      const alice = await registerUser(world.stack, world.api);
      const bob = await registerUser(world.stack, world.api);
      const a = await connectClient(world, alice, gw);
      const sends: Array<Promise<unknown>> = [];
      const failed: string[] = [];
      const rejected = (samples: Sample[], reason: string) => metricValue(samples, "im_messages_rejected_total", { reason });
      const unavailableBefore = rejected(await scrape(gw.url), "SERVICE_UNAVAILABLE");
      let resends = 0;
      a.on("sent", (_id, attempt) => {
        if (attempt > 1) resends += 1;
      });
      let cutAt = 0;
      for (let i = 0; i < 30; i++) {
        if (i === 5) {
          proxy.cut();
          cutAt = Date.now();
        }
        const content = `${dependency} ${i}`;
        sends.push(
          a.send({ chatType: 1, to: String(bob.userId), type: 1, content }).catch((error: Error) => {
            failed.push(`${content}: ${error.message}`);
          }),
        );
        await sleep(150); // 5 messages before the cut, 25 during it
      }
      await sleep(Math.max(0, cutAt + 5_000 - Date.now()));
      proxy.restore();
      await Promise.all(sends);
      assert.deepEqual(failed, [], "no message reported failed to the app");
      assert.ok(resends > 0, "the outage was felt: some sends were answered retry-later and resent");
      // The gateway answered the outage as retryable, never as a final INTERNAL_ERROR.
      const samples = await scrape(gw.url);
      assert.equal(rejected(samples, "INTERNAL_ERROR"), 0);
      assert.ok(rejected(samples, "SERVICE_UNAVAILABLE") > unavailableBefore, `${dependency} down is answered SERVICE_UNAVAILABLE`);

      // Every acknowledged message is stored: a new device of bob gets all 30, in order.
      const device = new ImClient({ url: gw.url, token: bob.token, resource: "pc" });
      world.clients.push(device);
      const synced: DeliveredMessage[] = collect(device);
      await device.connect();
      // A seq whose settling Redis did not confirm during the outage may still be in flight for a moment
      // (the answer says inFlight and the SDK syncs again): wait for the 30, bounded.
      const until = Date.now() + 20_000;
      while (synced.length < 30 && Date.now() < until) await sleep(100);
      assert.deepEqual(
        synced.map((m) => m.content),
        Array.from({ length: 30 }, (_, i) => `${dependency} ${i}`),
      );
    });
  }
});
