import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import type { KubeConfig } from "@kubernetes/client-node";

/** A non-2xx answer of the API server, with its Status object's reason and message when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409;
export const isGone = (error: unknown) => error instanceof KubeApiError && error.status === 410;

/**
 * Media types that make the API server answer with metadata only (PartialObjectMetadataList for a list,
 * PartialObjectMetadata per watch event), as client-go's metadata client asks: the object's data (a Secret's
 * values) never leaves the API server. Kubernetes docs: "Retrieving large results sets in chunks" / API concepts,
 * "Receiving resources as metadata only".
 */
export const metadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
export const metadataWatchAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

export type Query = Record<string, string | number | boolean | undefined>;

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

/**
 * The operator's REST client: plain HTTPS requests against the API server, authenticated and TLS-configured
 * by @kubernetes/client-node's KubeConfig (kubeconfig file or in-cluster service account). One small
 * client for list, get, server-side apply, the status subresource, delete, leases and watch streams keeps
 * every call's path, content type and error handling visible in one place.
 */
export class KubeClient {
  private readonly server: URL;

  constructor(private readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
  }

  private async options(method: string, path: string, query: Query = {}, headers: Record<string, string> = {}): Promise<RequestOptions> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const options: RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { accept: "application/json", ...headers },
    };
    await this.config.applyToHTTPSOptions(options);
    return options;
  }

  private send(options: RequestOptions, body?: string, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = (options.protocol === "http:" ? httpRequest : httpsRequest)({ ...options, signal }, resolve);
      request.on("error", reject);
      if (body !== undefined) request.write(body);
      request.end();
    });
  }

  /** One request; resolves with the parsed JSON body of a 2xx answer, rejects with KubeApiError otherwise. */
  async request<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<T> {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": init.contentType ?? "application/json" };
    if (init.accept) headers.accept = init.accept;
    const response = await this.send(await this.options(method, path, init.query, headers), body);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const parsed: unknown = text ? safeJson(text) : undefined;
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return parsed as T;
    const statusBody = (parsed ?? {}) as StatusBody;
    throw new KubeApiError(status, statusBody.reason ?? "Unknown", `${method} ${path}: ${status} ${statusBody.message ?? text}`, parsed);
  }

  /** GET; `accept` overrides the media type, e.g. metadataListAccept for a list of PartialObjectMetadata. */
  get<T>(path: string, query?: Query, accept?: string) {
    return this.request<T>("GET", path, { ...(query ? { query } : {}), ...(accept ? { accept } : {}) });
  }

  /** Server-side apply: the object as this field manager wants it; `force` takes over conflicting fields. */
  apply<T>(path: string, object: unknown, fieldManager: string, force = true) {
    return this.request<T>("PATCH", path, { query: { fieldManager, force }, body: object, contentType: "application/apply-patch+yaml" });
  }

  mergePatch<T>(path: string, patch: unknown) {
    return this.request<T>("PATCH", path, { body: patch, contentType: "application/merge-patch+json" });
  }

  delete<T>(path: string, query?: Query) {
    return this.request<T>("DELETE", path, query ? { query } : {});
  }

  /**
   * Opens a watch and calls `onEvent` for each event until the server ends the stream (resolves) or the
   * request fails (rejects; a non-200 answer rejects with KubeApiError, so an expired resourceVersion given
   * at the start is a 410 KubeApiError, while one that expires mid-stream arrives as an ERROR event).
   */
  async watch<T>(path: string, query: Query, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal, accept?: string): Promise<void> {
    const headers: Record<string, string> = accept ? { accept } : {};
    const response = await this.send(await this.options("GET", path, { ...query, watch: true }, headers), undefined, signal);
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      const statusBody = (safeJson(text) ?? {}) as StatusBody;
      throw new KubeApiError(status, statusBody.reason ?? "Unknown", `watch ${path}: ${status} ${statusBody.message ?? text}`);
    }
    const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        if (!line.trim()) continue;
        const event = safeJson(line) as WatchEvent<T> | undefined;
        if (event?.type) onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      lines.close();
      response.destroy();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
