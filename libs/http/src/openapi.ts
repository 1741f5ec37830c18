import { type ErrorCode, errorCatalogue, httpStatusOf } from "@im/protocol";
import { z } from "zod";
import type { AnyRouteSpec } from "./route.js";

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

/** Errors any route may answer: reading the body, validation, a dependency down or busy, a bug. */
const EVERY_ROUTE: readonly ErrorCode[] = [
  "VALIDATION_FAILED",
  "MALFORMED_JSON",
  "MALFORMED_BODY",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INTERNAL_ERROR",
  "SERVICE_UNAVAILABLE",
  "BUSY_RETRY",
];
/** Errors of authentication: every route that needs a token (a public one too when a bad token comes). */
const AUTHENTICATION: readonly ErrorCode[] = ["TOKEN_MISSING", "TOKEN_INVALID"];

/** Every catalogue error a route may answer: its own (RouteSpec.errors) and the common ones. */
export function routeErrors(route: Pick<AnyRouteSpec, "errors">): ErrorCode[] {
  return [...new Set([...EVERY_ROUTE, ...AUTHENTICATION, ...(route.errors ?? [])])];
}

/** The documented error responses of a route: one per HTTP status, whose `key` may only be its codes. */
function errorResponses(route: Pick<AnyRouteSpec, "errors">): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const key of routeErrors(route)) {
    const status = httpStatusOf(key);
    byStatus.set(status, [...(byStatus.get(status) ?? []), key]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, keys] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: keys.join(", "),
      content: {
        "application/json": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/Error" },
              { type: "object", properties: { error: { type: "object", properties: { key: { enum: keys } } } } },
            ],
          },
        },
      },
    };
  }
  return responses;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** Builds the OpenAPI 3.1 document from the same route specs that serve the requests. */
export function buildOpenApi(routes: readonly AnyRouteSpec[], info: { title: string; version: string; publicRoutes: string[] }) {
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
        ? {
            requestBody: {
              required: true,
              content: {
                [route.bodyType === "stream" ? "multipart/form-data" : "application/json"]: {
                  schema: toSchema(route.body as z.ZodType, "input"),
                },
              },
            },
          }
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
        ...errorResponses(route),
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
