import { isGone, KubeApiError, type KubeClient, metadataListAccept, metadataWatchAccept, type WatchEvent } from "../kube/client.js";
import { backoffDelay } from "./backoff.js";

/** The metadata an informer reads. */
export interface Watched {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
}

interface List<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[] | null;
}

export type InformerEvent = "added" | "updated" | "deleted";

export interface InformerOptions<T> {
  client: KubeClient;
  /** Collection path (operator/src/kube/paths.ts collectionPath). */
  path: string;
  /** apiVersion/kind to stamp on listed items (lists omit them per item). */
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Metadata only (PartialObjectMetadata): for Secrets, whose data the operator must never read. */
  metadataOnly?: boolean;
  onEvent: (type: InformerEvent, object: T) => void;
  /** Metrics and logs: why a watch ended ("closed" normal end resumed, "gone" → relist, "error" → retry). */
  onRestart?: (reason: "closed" | "gone" | "error", error?: unknown) => void;
  /** Server-side watch timeout, so streams are renewed regularly (the resume path is exercised). */
  watchTimeoutSeconds?: number;
}

const keyOf = (object: Watched) => `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;

/**
 * A list-then-watch cache of one resource, as client-go's reflector does it: list (paged) to fill the
 * cache, then watch from the list's resourceVersion; when a watch ends it resumes from the last
 * resourceVersion seen (events and bookmarks), and only when the server answers 410 Gone (that version was
 * compacted away) does it list again, emitting the differences as events. Other failures retry the watch
 * with exponential backoff.
 */
export class Informer<T extends Watched> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = "";
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private syncedResolve!: () => void;
  /** Resolves after the first list filled the cache. */
  readonly synced = new Promise<void>((resolve) => {
    this.syncedResolve = resolve;
  });

  constructor(private readonly options: InformerOptions<T>) {}

  list(): T[] {
    return [...this.cache.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ""}/${name}`);
  }

  /** The resourceVersion the next watch resumes from. */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }

  private get stopped() {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.syncedResolve();
        }
        await this.watchOnce();
        failures = 0;
        this.options.onRestart?.("closed");
      } catch (error) {
        if (this.stopped) return;
        if (isGone(error)) {
          needList = true;
          this.options.onRestart?.("gone", error);
          continue;
        }
        failures++;
        this.options.onRestart?.("error", error);
        await this.sleep(backoffDelay(failures, { baseMs: 250, maxMs: 30_000 }));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.options.client.get<List<T>>(
        this.options.path,
        {
          labelSelector: this.options.labelSelector,
          limit: 500,
          continue: continueToken,
        },
        this.options.metadataOnly ? metadataListAccept : undefined,
      );
      // A metadata-only list (PartialObjectMetadataList) sends "items": null when it is empty.
      for (const item of page.items ?? []) items.push({ apiVersion: this.options.apiVersion, kind: this.options.kind, ...item });
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
    } while (continueToken);
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.cache.set(key, item);
      if (!previous) this.options.onEvent("added", item);
      else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion) this.options.onEvent("updated", item);
    }
    for (const [key, item] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.options.onEvent("deleted", item);
    }
    this.resourceVersion = resourceVersion;
  }

  private async watchOnce(): Promise<void> {
    let gone: unknown;
    await this.options.client.watch<T>(
      this.options.path,
      {
        labelSelector: this.options.labelSelector,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      },
      (event) => this.apply(event, (status) => (gone = status)),
      this.abort.signal,
      this.options.metadataOnly ? metadataWatchAccept : undefined,
    );
    if (gone) throw gone;
  }

  /** Resumes the next watch from `resourceVersion` (tests use it to make the server answer 410 Gone). */
  resumeFrom(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
  }

  private apply(event: WatchEvent<T>, onGone: (error: unknown) => void): void {
    if (event.type === "ERROR") {
      const status = event.object as unknown as { code?: number; message?: string };
      // An expired resourceVersion mid-stream: relist. Other errors end this watch and it is retried.
      if (status.code === 410) onGone(new KubeApiError(410, "Expired", status.message ?? "watch: 410 Gone"));
      else throw new Error(`watch ${this.options.path}: ${status.code ?? "?"} ${status.message ?? "error event"}`);
      return;
    }
    const object: T = { apiVersion: this.options.apiVersion, kind: this.options.kind, ...event.object };
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return;
    const key = keyOf(object);
    if (event.type === "DELETED") {
      this.cache.delete(key);
      this.options.onEvent("deleted", object);
      return;
    }
    const existed = this.cache.has(key);
    this.cache.set(key, object);
    this.options.onEvent(existed ? "updated" : "added", object);
  }
}
