import { errorCatalogue } from "@im/protocol";
import { z } from "zod";
import type { RouteSpec } from "./route.js";

type JsonSchema = Record<string, unknown>;

const errorSchema = z.object({
  error: z.object({
    code: z.number().int().describe("Stable numeric code from the error catalogue"),
    key: z.enum(Object.keys(errorCatalogue) as [string, ...string[]]).describe("Stable string code"),
    message: z.string().describe("Message in the caller's language (Accept-Language: zh, en, zh-TW)"),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
    retryAfterSeconds: z.number().int().optional(),
  }),
});

function toSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** Turns the object schema of params or query into OpenAPI parameters. */
function parameters(schema: z.ZodType | undefined, location: "path" | "query"): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (json.required ?? []).includes(name),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
    schema: property,
  }));
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** Builds the OpenAPI 3.1 document from the same route specs that serve the requests. */
export function buildOpenApi(routes: RouteSpec[], info: { title: string; version: string; publicRoutes: string[] }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const publicSet = new Set(info.publicRoutes);
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const isPublic = publicSet.has(`${route.method.toUpperCase()} ${route.path}`);
    const responseSchema = route.response.schema as z.ZodType | undefined;
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      summary: route.summary,
      tags: route.tags,
      ...(isPublic ? { security: [] } : {}),
      parameters: [
        ...parameters(route.params as z.ZodType | undefined, "path"),
        ...parameters(route.query as z.ZodType | undefined, "query"),
      ],
      ...(route.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(route.body as z.ZodType, "input") } } } }
        : {}),
      responses: {
        [String(route.response.status)]: {
          description: route.response.description,
          ...(responseSchema ? { content: { "application/json": { schema: toSchema(responseSchema, "output") } } } : {}),
        },
        ...(route.response.alternative
          ? {
              [String(route.response.alternative.status)]: {
                description: route.response.alternative.description,
                ...(responseSchema ? { content: { "application/json": { schema: toSchema(responseSchema, "output") } } } : {}),
              },
            }
          : {}),
        default: {
          description: "An error from the error catalogue",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: info.version,
      description: "Generated from the route schemas by `npm run openapi:write`; do not edit by hand.",
    },
    paths,
    components: {
      schemas: { Error: toSchema(errorSchema, "output") },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The accessToken from login" } },
    },
    security: [{ bearer: [] }],
  };
}
