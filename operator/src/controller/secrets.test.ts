import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watchNamespaces } from "../config.js";
import type { KubeObject } from "../render/kube-object.js";
import { hashedSecretVersions, missingSecrets, referencedSecrets } from "./secrets.js";

const deployment = (pod: Record<string, unknown>): KubeObject =>
  ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "im-gateway" }, spec: { template: { spec: pod } } }) as KubeObject;

describe("Secrets a Deployment reads", () => {
  const pod = {
    containers: [
      {
        env: [
          { name: "MONGO_URL", valueFrom: { secretKeyRef: { name: "im-mongo", key: "url" } } },
          { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "im-redis", key: "url" } } },
          { name: "EXTRA", valueFrom: { secretKeyRef: { name: "maybe", key: "x", optional: true } } },
          { name: "PLAIN", value: "1" },
        ],
        envFrom: [{ secretRef: { name: "bulk" } }],
      },
    ],
    volumes: [
      { name: "apns", secret: { secretName: "push-apns" } },
      { name: "tmp", emptyDir: {} },
    ],
  };

  it("lists env, envFrom and volume Secrets once each", () => {
    assert.deepEqual(referencedSecrets(deployment(pod)).sort(), ["bulk", "im-mongo", "im-redis", "maybe", "push-apns"]);
    assert.deepEqual(referencedSecrets(deployment({})), []);
  });

  it("reports the required ones that do not exist, not the optional ones", () => {
    const existing = new Map([
      ["im-mongo", "1"],
      ["bulk", "2"],
    ]);
    assert.deepEqual(missingSecrets(deployment(pod), existing), ["im-redis", "push-apns"]);
  });
});

describe("watch scope", () => {
  it("joins OPERATOR_WATCH_NAMESPACES and the OPERATOR_WATCH_NAMESPACE alias without duplicates; empty is every namespace", () => {
    assert.deepEqual(watchNamespaces({ OPERATOR_WATCH_NAMESPACES: "", OPERATOR_WATCH_NAMESPACE: "" }), []);
    assert.deepEqual(watchNamespaces({ OPERATOR_WATCH_NAMESPACES: "a, b,a", OPERATOR_WATCH_NAMESPACE: "b" }), ["a", "b"]);
    assert.deepEqual(watchNamespaces({ OPERATOR_WATCH_NAMESPACES: "", OPERATOR_WATCH_NAMESPACE: "im" }), ["im"]);
  });
});

describe("hashedSecretVersions", () => {
  const live = (annotation: string | undefined): KubeObject =>
    ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "im-gateway",
        ...(annotation === undefined ? {} : { annotations: { "im.platform.io/secret-versions": annotation } }),
      },
    }) as KubeObject;

  it("takes the informer's versions and, for a deleted Secret only, the last version a live Deployment recorded", () => {
    const current = new Map([["im-mongo", "12"]]);
    assert.deepEqual(hashedSecretVersions(current, [live(JSON.stringify({ "im-mongo": "7", "gw-token": "9" }))]), {
      "im-mongo": "12",
      "gw-token": "9",
    });
  });

  it("ignores a hand-edited annotation that is not a JSON object of strings", () => {
    const current = new Map([["im-mongo", "12"]]);
    for (const bad of ["{", "[]", "null", JSON.stringify({ "gw-token": 9 })]) {
      assert.deepEqual(hashedSecretVersions(current, [live(bad)]), { "im-mongo": "12" }, bad);
    }
    assert.deepEqual(hashedSecretVersions(current, [live(undefined)]), { "im-mongo": "12" });
  });
});
