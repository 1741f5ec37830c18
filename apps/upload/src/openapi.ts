import { uploadOpenApi } from "./app.js";
import { defaultPublicRoutes } from "./config.js";

/** The text of docs/openapi-upload.json: the upload app's OpenAPI document with the default public routes. */
export function uploadOpenApiText(): string {
  const document = uploadOpenApi(defaultPublicRoutes);
  return `${JSON.stringify({ "x-generated": "by apps/upload/src/write-openapi.ts from the route schemas; do not edit", ...document }, null, 2)}\n`;
}
