import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type HealthOptions, healthHandler } from "./health.js";

/** Where a server listens: the port it got (0 picks a free one) and a URL for clients on this host. */
export interface Listening {
  readonly port: number;
  /** `http://<host>:<port>`, with 0.0.0.0 given as 127.0.0.1. */
  readonly url: string;
}

/** Starts listening; rejects with the server's error (EADDRINUSE...). */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { port: address.port, url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}` };
}

/**
 * Graceful close of an HTTP server: stops accepting connections, closes idle keep-alive connections as
 * their requests finish, and cuts whatever is still open after `graceMs` (ms). Resolves once every
 * connection is closed.
 */
export async function closeHttpServer(server: Server, graceMs = 10_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  let done = false;
  void closed.then(() => {
    done = true;
  });
  const deadline = Date.now() + graceMs;
  while (!done && Date.now() < deadline) {
    server.closeIdleConnections();
    await Promise.race([closed, sleep(25)]);
  }
  server.closeAllConnections();
  await closed;
}

/** A server of its own for the health endpoint (processes with no HTTP server of their own: scheduler, operator). */
export interface HealthServer extends Listening {
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves /healthz, /readyz and /metrics (healthHandler) on `host:port`; any other path is 404. */
export async function startHealthServer(options: HealthOptions & { host: string; port: number }): Promise<HealthServer> {
  const handle = healthHandler(options);
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end();
  });
  const listening = await listen(server, options.port, options.host);
  return { ...listening, server, close: () => closeHttpServer(server, 1_000) };
}
