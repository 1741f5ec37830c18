import { AppError } from "@im/protocol";
import { z } from "zod";
import { defineRoute } from "../../http/route.js";

const okSchema = z.object({ status: z.literal("ok") });
const readySchema = z.object({ status: z.literal("ready"), mongo: z.literal("ok"), redis: z.literal("ok") });

export const healthRoutes = [
  defineRoute({
    method: "get",
    path: "/healthz",
    summary: "Liveness: the process is up",
    tags: ["health"],
    auth: "public",
    response: { status: 200, description: "Up", schema: okSchema },
    handler: async () => ({ status: "ok" as const }),
  }),
  defineRoute({
    method: "get",
    path: "/readyz",
    summary: "Readiness: MongoDB and Redis answer",
    tags: ["health"],
    auth: "public",
    response: { status: 200, description: "Ready", schema: readySchema },
    handler: async (_input, deps) => {
      const timeout = <T>(promise: Promise<T>) =>
        Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2_000))]);
      try {
        await Promise.all([timeout(deps.mongo.db?.admin().ping() ?? Promise.reject(new Error("no db"))), timeout(deps.redis.ping())]);
      } catch (error) {
        throw new AppError("SERVICE_UNAVAILABLE", { cause: error });
      }
      return { status: "ready" as const, mongo: "ok" as const, redis: "ok" as const };
    },
  }),
];
