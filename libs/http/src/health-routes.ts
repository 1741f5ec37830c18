import { AppError } from "@im/protocol";
import { z } from "zod";
import { type RouteAuth, type RouteSpec, routeDefiner } from "./route.js";

/** How long one readiness check may take before the app counts as not ready (ms). */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

const withTimeout = <T>(promise: Promise<T>) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), READINESS_CHECK_TIMEOUT_MS).unref()),
  ]);

/**
 * An app's `/healthz` (liveness: the process answers) and `/readyz` (readiness: every dependency answers within
 * READINESS_CHECK_TIMEOUT_MS, else 503 SERVICE_UNAVAILABLE), as routes of its route table. `checks` names each
 * dependency (`mongo`, `redis`, `storage`) and pings it; the ready answer lists them all as "ok".
 */
export function healthRoutes<D, N extends string>(
  checks: Record<N, (deps: D) => Promise<unknown>>,
  description: string,
): RouteSpec<unknown, unknown, unknown, unknown, RouteAuth, D>[] {
  const defineRoute = routeDefiner<D>();
  const names = Object.keys(checks) as N[];
  const readySchema = z.object({
    status: z.literal("ready"),
    ...Object.fromEntries(names.map((name) => [name, z.literal("ok")])),
  });
  return [
    defineRoute({
      method: "get",
      path: "/healthz",
      summary: "Liveness: the process is up",
      tags: ["health"],
      auth: "public",
      response: { status: 200, description: "Up", schema: z.object({ status: z.literal("ok") }) },
      handler: async () => ({ status: "ok" as const }),
    }),
    defineRoute({
      method: "get",
      path: "/readyz",
      summary: `Readiness: ${description} answer`,
      tags: ["health"],
      auth: "public",
      response: { status: 200, description: "Ready", schema: readySchema },
      handler: async (_input, deps) => {
        try {
          await Promise.all(names.map((name) => withTimeout(checks[name](deps))));
        } catch (error) {
          throw new AppError("SERVICE_UNAVAILABLE", { cause: error });
        }
        return { status: "ready" as const, ...Object.fromEntries(names.map((name) => [name, "ok" as const])) };
      },
    }),
  ];
}
