/**
 * Where a versioned cache reads an entity's current version (libs/data cache-versions.ts in production).
 * The version must be replaced after every write that changes the entity, before that write is reported
 * done: then a value loaded after reading version V is current for as long as the version is still V.
 */
export interface VersionSource<K> {
  /** The entity's version; null while a change is in progress (load, keep nothing); undefined when it has none. */
  read(key: K): Promise<string | null | undefined>;
  /** Gives an entity that had none a version, unless a change began meanwhile (then null: keep nothing). */
  claim(key: K): Promise<string | null>;
}

export interface VersionedCacheOptions<K, V> {
  /** Largest total weight kept (least recently used entries go first); 0 keeps nothing and reads no version. */
  maxWeight: number;
  versions: VersionSource<K>;
  /** Reads the entity from the database; null = it does not exist (never cached: creations bump nothing). */
  load(key: K): Promise<V | null>;
  /** An entry's share of `maxWeight` (default 1). */
  weight?(value: V): number;
  /** hit: answered from the cache or by a load already in flight; miss: this get loaded. */
  onResult?(result: "hit" | "miss"): void;
}

interface Entry<V> {
  version: string;
  value: V;
  weight: number;
  /** Which load produced it: a slower, older load never replaces a newer one's entry. */
  loadNumber: number;
}

interface Loading<V> {
  /** The version the load runs under; undefined = the entity had none (claimed after the load). */
  version: string | undefined;
  promise: Promise<V | null>;
}

/**
 * A bounded cache of database reads, exact rather than time-limited: every get reads the entity's version
 * (one Redis round trip) and returns the cached value only if it was loaded under that same version, read
 * before the load. A change that lands during a load replaces the version after its write, so the next get
 * loads again. Concurrent gets of one key and version share one load.
 */
export class VersionedCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly loading = new Map<K, Loading<V>>();
  private totalWeight = 0;
  private loads = 0;

  constructor(private readonly options: VersionedCacheOptions<K, V>) {}

  /** Entries kept now. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: K): Promise<V | null> {
    const { options } = this;
    if (options.maxWeight <= 0) return this.miss(key);
    const version = await options.versions.read(key);
    if (version === null) return this.miss(key);
    if (version !== undefined) {
      const entry = this.entries.get(key);
      if (entry && entry.version === version) {
        // Map order is the LRU order: re-insert on use.
        this.entries.delete(key);
        this.entries.set(key, entry);
        options.onResult?.("hit");
        return entry.value;
      }
    }
    const running = this.loading.get(key);
    if (running && running.version === version) {
      options.onResult?.("hit");
      return running.promise;
    }
    options.onResult?.("miss");
    const loadNumber = ++this.loads;
    const promise = this.loadAndKeep(key, version, loadNumber);
    this.loading.set(key, { version, promise });
    const forget = () => {
      if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  private miss(key: K): Promise<V | null> {
    this.options.onResult?.("miss");
    return this.options.load(key);
  }

  private async loadAndKeep(key: K, version: string | undefined, loadNumber: number): Promise<V | null> {
    const value = await this.options.load(key);
    if (value === null) return null;
    // A failed claim only costs the caching, not the send.
    const tag = version ?? (await this.options.versions.claim(key).catch(() => null));
    if (tag !== null) this.keep(key, { version: tag, value, weight: Math.max(1, this.options.weight?.(value) ?? 1), loadNumber });
    return value;
  }

  private keep(key: K, entry: Entry<V>): void {
    const old = this.entries.get(key);
    if (old) {
      if (old.loadNumber > entry.loadNumber) return;
      this.entries.delete(key);
      this.totalWeight -= old.weight;
    }
    // One entry heavier than the whole cache would only push every other one out.
    if (entry.weight > this.options.maxWeight) return;
    this.entries.set(key, entry);
    this.totalWeight += entry.weight;
    for (const [oldest, { weight }] of this.entries) {
      if (this.totalWeight <= this.options.maxWeight) break;
      this.entries.delete(oldest);
      this.totalWeight -= weight;
    }
  }
}
