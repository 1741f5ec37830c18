import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "@im/telemetry";

/** What the health endpoint reports. */
export interface HealthOptions {
  /** Served on /metrics in the Prometheus text format. */
  registry: Registry;
  /** /readyz answers 200 when this is true, 503 otherwise (see Readiness). */
  ready: () => boolean;
  /** Extra fields of the /readyz body (the operator adds `leader`). */
  details?: () => Record<string, unknown>;
}

/** Answers the request when it is one of the health paths and returns true; returns false for any other path. */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/**
 * The one implementation of the probe and scrape paths every process serves:
 * - `GET /healthz`: liveness, always 200 `{"status":"ok"}` while the process runs;
 * - `GET /readyz`: 200 `{"status":"ready", ...details}` or 503 `{"status":"not ready", ...details}`;
 * - `GET /metrics`: the registry in the Prometheus text format (500 when a collector fails).
 * A process mounts it on its own HTTP server (the gateway's Socket.IO server) or on a server of its own
 * (`startHealthServer`). The API serves the same paths through its Express routes, which are in its OpenAPI document.
 */
export function healthHandler(options: HealthOptions): HealthHandler {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path === "/healthz") {
      json(res, 200, { status: "ok" });
      return true;
    }
    if (path === "/readyz") {
      const ready = options.ready();
      json(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", ...options.details?.() });
      return true;
    }
    if (path === "/metrics") {
      options.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": options.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
      return true;
    }
    return false;
  };
}
