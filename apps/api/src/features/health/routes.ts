import { healthRoutes as defineHealthRoutes } from "@im/http";
import type { ApiDeps } from "../../context.js";

/** `/healthz` and `/readyz` (MongoDB and Redis answer). */
export const healthRoutes = defineHealthRoutes<ApiDeps, "mongo" | "redis">(
  {
    mongo: (deps) => deps.mongo.db?.admin().ping() ?? Promise.reject(new Error("no db")),
    redis: (deps) => deps.redis.ping(),
  },
  "MongoDB and Redis",
);
