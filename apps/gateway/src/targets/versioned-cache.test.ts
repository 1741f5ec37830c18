import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VersionedCache, type VersionedCacheOptions } from "./versioned-cache.js";

/** A promise resolved from outside: lets a test hold a load open while something else happens. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** An in-memory stand-in for the Redis versions and the database, counting loads. */
function world(initial: Record<string, string> = {}) {
  const versions = new Map<string, string | null>(Object.entries(initial));
  const data = new Map<string, string>();
  const loads: string[] = [];
  const results: string[] = [];
  let hold: Promise<void> | undefined;
  let claims = 0;
  const make = (overrides: Partial<VersionedCacheOptions<string, string>> = {}) =>
    new VersionedCache<string, string>({
      maxWeight: 100,
      versions: {
        read: async (key) => (versions.has(key) ? (versions.get(key) as string | null) : undefined),
        claim: async (key) => {
          claims++;
          if (versions.has(key)) return null;
          versions.set(key, `claimed-${claims}`);
          return `claimed-${claims}`;
        },
      },
      load: async (key) => {
        loads.push(key);
        const value = data.get(key) ?? null;
        if (hold) await hold;
        return value;
      },
      onResult: (result) => void results.push(result),
      ...overrides,
    });
  return {
    versions,
    data,
    loads,
    results,
    make,
    holdLoads(promise: Promise<void> | undefined) {
      hold = promise;
    },
  };
}

describe("VersionedCache", () => {
  it("serves a value while its version is unchanged and reloads after every change", async () => {
    const w = world({ room: "v1" });
    w.data.set("room", "members: a");
    const cache = w.make();
    assert.equal(await cache.get("room"), "members: a");
    assert.equal(await cache.get("room"), "members: a");
    assert.deepEqual(w.loads, ["room"]);
    w.data.set("room", "members: a, b");
    w.versions.set("room", "v2");
    assert.equal(await cache.get("room"), "members: a, b");
    assert.equal(await cache.get("room"), "members: a, b");
    assert.deepEqual(w.loads, ["room", "room"]);
    assert.deepEqual(w.results, ["miss", "hit", "miss", "hit"]);
  });

  it("tags a load with the version read before it: a change landing during the load is seen by the next get", async () => {
    const w = world({ room: "v1" });
    w.data.set("room", "old");
    const cache = w.make();
    const held = gate();
    w.holdLoads(held.promise);
    const first = cache.get("room");
    await new Promise((resolve) => setImmediate(resolve));
    // The API writes, then bumps — while the load is running (it read "old").
    w.data.set("room", "new");
    w.versions.set("room", "v2");
    held.open();
    assert.equal(await first, "old", "the send that was already running may use what it read");
    w.holdLoads(undefined);
    assert.equal(await cache.get("room"), "new", "the next send sees the change");
  });

  it("keeps nothing while a change is in progress (version null), and reads again each time", async () => {
    const w = world({ room: null } as unknown as Record<string, string>);
    w.data.set("room", "x");
    const cache = w.make();
    assert.equal(await cache.get("room"), "x");
    assert.equal(await cache.get("room"), "x");
    assert.deepEqual(w.loads, ["room", "room"]);
    assert.equal(cache.size, 0);
    assert.deepEqual(w.results, ["miss", "miss"]);
  });

  it("claims a version for an entity that had none, unless a change began during the load", async () => {
    const w = world();
    w.data.set("a", "A");
    w.data.set("b", "B");
    const cache = w.make();
    assert.equal(await cache.get("a"), "A");
    assert.equal(w.versions.get("a"), "claimed-1");
    assert.equal(await cache.get("a"), "A");
    assert.deepEqual(w.loads, ["a"]);

    const held = gate();
    w.holdLoads(held.promise);
    const loading = cache.get("b");
    await new Promise((resolve) => setImmediate(resolve));
    w.data.set("b", "B2");
    w.versions.set("b", "changed"); // the writer's token
    held.open();
    assert.equal(await loading, "B");
    w.holdLoads(undefined);
    assert.equal(await cache.get("b"), "B2", "nothing was kept under a token that would match");
  });

  it("never caches a missing entity (creations bump no version)", async () => {
    const w = world();
    const cache = w.make();
    assert.equal(await cache.get("user"), null);
    assert.equal(w.versions.has("user"), false, "no version created for an unknown id");
    w.data.set("user", "registered");
    assert.equal(await cache.get("user"), "registered");
  });

  it("shares one load between concurrent gets of the same key and version, not across versions", async () => {
    const w = world({ room: "v1" });
    w.data.set("room", "r");
    const cache = w.make();
    const held = gate();
    w.holdLoads(held.promise);
    const gets = [cache.get("room"), cache.get("room"), cache.get("room")];
    await new Promise((resolve) => setImmediate(resolve));
    w.versions.set("room", "v2");
    gets.push(cache.get("room"));
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    assert.deepEqual(await Promise.all(gets), ["r", "r", "r", "r"]);
    assert.equal(w.loads.length, 2, "one load for v1, one for v2");
    assert.deepEqual(w.results, ["miss", "hit", "hit", "miss"]);
  });

  it("an older load finishing last does not replace a newer entry", async () => {
    const w = world({ room: "v1" });
    w.data.set("room", "old");
    const loadsHeld: Array<ReturnType<typeof gate<void>>> = [];
    const cache = w.make({
      load: async (key) => {
        w.loads.push(key);
        const value = w.data.get(key) ?? null;
        const held = gate();
        loadsHeld.push(held);
        await held.promise;
        return value;
      },
    });
    const older = cache.get("room");
    await new Promise((resolve) => setImmediate(resolve));
    w.data.set("room", "new");
    w.versions.set("room", "v2");
    const newer = cache.get("room");
    await new Promise((resolve) => setImmediate(resolve));
    loadsHeld[1]?.open();
    assert.equal(await newer, "new");
    loadsHeld[0]?.open();
    assert.equal(await older, "old");
    assert.equal(await cache.get("room"), "new");
    assert.equal(w.loads.length, 2, "the v2 entry is still there");
  });

  it("a failed load rejects its waiters, keeps nothing, and the next get loads again", async () => {
    const w = world({ room: "v1" });
    let fail = true;
    const cache = w.make({
      load: async () => {
        w.loads.push("room");
        if (fail) throw new Error("mongo down");
        return "ok";
      },
    });
    await assert.rejects(Promise.all([cache.get("room"), cache.get("room")]), /mongo down/);
    fail = false;
    assert.equal(await cache.get("room"), "ok");
    assert.equal(w.loads.length, 2);
  });

  it("evicts the least recently used entries beyond the weight bound; a bound of 0 caches nothing and reads no version", async () => {
    const w = world({ a: "1", b: "1", c: "1", big: "1" });
    for (const key of ["a", "b", "c", "big"]) w.data.set(key, key);
    const cache = w.make({ maxWeight: 3, weight: (value) => (value === "big" ? 4 : 1) });
    await cache.get("a");
    await cache.get("b");
    await cache.get("c");
    await cache.get("a"); // a is now the most recently used
    await cache.get("big"); // heavier than the whole cache: not kept, evicts nothing
    assert.equal(cache.size, 3);
    const w2 = world({ d: "1" });
    w2.data.set("d", "d");
    const weighted = w2.make({ maxWeight: 2, weight: (value) => (value === "d" ? 2 : 1) });
    await weighted.get("d");
    assert.equal(weighted.size, 1);

    w.loads.length = 0;
    w.versions.set("d", "1");
    w.data.set("d", "d");
    await cache.get("d"); // pushes out the least recently used: b
    await cache.get("a");
    await cache.get("c");
    await cache.get("b");
    assert.deepEqual(w.loads, ["d", "b"]);

    let versionReads = 0;
    const off = w.make({
      maxWeight: 0,
      versions: {
        read: async () => {
          versionReads++;
          return "1";
        },
        claim: async () => "1",
      },
    });
    w.loads.length = 0;
    await off.get("a");
    await off.get("a");
    assert.deepEqual(w.loads, ["a", "a"]);
    assert.equal(versionReads, 0);
    assert.equal(off.size, 0);
  });
});
