import { defineRoute } from "../../http/route.js";
import { clientConfigValues } from "./defaults.js";
import { readClientConfig, withMediaUrls } from "./store.js";

export const clientConfigRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/config",
    summary: "Client bootstrap configuration (seed: GET /config)",
    tags: ["config"],
    auth: "public",
    response: { status: 200, description: "The configuration", schema: clientConfigValues },
    handler: async (_input, deps) => withMediaUrls(await readClientConfig(deps.models), deps.config.MEDIA_PUBLIC_URL),
  }),
];
