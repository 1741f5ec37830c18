/**
 * Writes docs/openapi.json from the route schemas (`npm run openapi:write`); with --check, fails when the
 * committed file differs from what the routes generate (run by `npm run check`).
 */
import { readFile, writeFile } from "node:fs/promises";
import { buildOpenApi } from "@im/http";
import { API_VERSION } from "../app.js";
import { defaultPublicRoutes } from "../config.js";
import { allRoutes } from "../routes.js";

const target = new URL("../../../../docs/openapi.json", import.meta.url);
const document = buildOpenApi(allRoutes, { title: "IM platform API", version: API_VERSION, publicRoutes: defaultPublicRoutes });
const text = `${JSON.stringify({ "x-generated": "by npm run openapi:write from the route schemas; do not edit", ...document }, null, 2)}\n`;

if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== text) {
    console.error("docs/openapi.json is out of date: run `npm run openapi:write` and commit it");
    process.exit(1);
  }
} else {
  await writeFile(target, text);
  console.log(`wrote ${target.pathname}`);
}
