import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "@im/testing";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../operator/src/kube/client.js";
import { Informer, type InformerEvent } from "../../operator/src/runtime/informer.js";
import { until } from "./operator-world.js";

interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

describe("informer on a real kube-apiserver", { timeout: 300_000 }, () => {
  let server: KubeApiServer;
  let client: KubeClient;
  before(async () => {
    // Watches served by etcd itself, compacted every 2 s, so an old resourceVersion really expires (the watch
    // cache would serve it from memory for a long while).
    server = await startKubeApiServer({ extraArgs: ["--watch-cache=false", "--etcd-compaction-interval=8s"] });
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    client = new KubeClient(kc);
    await client.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "inf" } } });
  });
  after(() => server?.stop());

  const create = (name: string, value: string, labels: Record<string, string> = { watched: "yes" }) =>
    client.request("POST", "/api/v1/namespaces/inf/configmaps", {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data: { value } },
    });

  it("lists, watches, resumes from the last resourceVersion when a watch ends, and relists after 410 Gone", async (t) => {
    await create("before-start", "1");
    await create("not-selected", "x", {});
    const events: Array<[InformerEvent, string]> = [];
    const restarts: string[] = [];
    const informer = new Informer<ConfigMap>({
      client,
      path: "/api/v1/namespaces/inf/configmaps",
      apiVersion: "v1",
      kind: "ConfigMap",
      labelSelector: "watched=yes",
      // The server ends each watch after a second, so resuming is exercised over and over.
      watchTimeoutSeconds: 1,
      onEvent: (type, object) => events.push([type, object.metadata.name]),
      onRestart: (reason) => restarts.push(reason),
    });
    informer.start();
    // Stopped also when an assertion fails, else its watch loop keeps the test file from ever ending.
    t.after(() => informer.stop());
    await informer.synced;
    const startVersion = informer.lastResourceVersion;
    assert.deepEqual(
      informer.list().map((c) => c.metadata.name),
      ["before-start"],
    );

    await until(
      "two watches ended and were resumed",
      async () => restarts.filter((r) => r === "closed").length,
      (n) => n >= 2,
      15_000,
    );
    await create("during-watch", "2");
    await client.mergePatch("/api/v1/namespaces/inf/configmaps/before-start", { data: { value: "changed" } });
    await client.delete("/api/v1/namespaces/inf/configmaps/not-selected");
    await until("the new object", async () => informer.get("inf", "during-watch"), Boolean, 10_000);
    await until(
      "the update",
      async () => informer.get("inf", "before-start")?.data?.value,
      (v) => v === "changed",
      10_000,
    );
    assert.equal(restarts.includes("gone"), false, "no relist while the resourceVersion was valid");
    assert.deepEqual(events, [
      ["added", "before-start"],
      ["added", "during-watch"],
      ["updated", "before-start"],
    ]);

    // The next watch starts from a resourceVersion etcd compacted away (nothing changes meanwhile, so no event
    // moves it on): the server answers 410 Gone and the informer lists again, then watches on.
    // The API server compacts to the revision it saw one interval earlier: after two intervals (8 s each) the
    // start version is surely gone, while the first part (about 3 s) never outlives it, even on a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, 17_000));
    informer.resumeFrom(startVersion);
    await until("a relist after 410", async () => restarts.includes("gone"), Boolean, 15_000);
    await client.delete("/api/v1/namespaces/inf/configmaps/during-watch");
    await create("after-gone", "3");
    await until(
      "the delete and the create after the relist",
      async () => !informer.get("inf", "during-watch") && informer.get("inf", "after-gone"),
      Boolean,
      10_000,
    );
    assert.deepEqual(
      informer
        .list()
        .map((c) => c.metadata.name)
        .sort(),
      ["after-gone", "before-start"],
    );
    assert.deepEqual(events.slice(3), [
      ["deleted", "during-watch"],
      ["added", "after-gone"],
    ]);
  });

  it("metadata only: Secrets listed and watched as PartialObjectMetadata carry no data, and an empty list syncs", async () => {
    const secrets = new Informer<ConfigMap>({
      client,
      path: "/api/v1/namespaces/inf/secrets",
      apiVersion: "v1",
      kind: "Secret",
      metadataOnly: true,
      onEvent: () => undefined,
    });
    secrets.start();
    await secrets.synced;
    assert.deepEqual(secrets.list(), [], "no Secret yet: the list's items are null, and it syncs all the same");
    await client.request("POST", "/api/v1/namespaces/inf/secrets", {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "token" }, stringData: { value: "s3cr3t" } },
    });
    const seen = await until("the Secret's metadata", async () => secrets.get("inf", "token"), Boolean, 10_000);
    assert.ok(seen?.metadata.resourceVersion);
    assert.doesNotMatch(JSON.stringify(seen), /s3cr3t|czNjcjN0/, "neither the value nor its base64 reach the operator");
    assert.equal((seen as { data?: unknown }).data, undefined);
    await secrets.stop();
  });
});
