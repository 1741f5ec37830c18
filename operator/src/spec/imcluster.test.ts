import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rawSample, sampleNames } from "../render/test-support.js";
import { imClusterSchema, imClusterSpecSchema } from "./imcluster.js";

const minimal = { version: "0.1.0", mongo: { secretName: "im-mongo" }, redis: { secretName: "im-redis" } };
const issues = (spec: unknown) => {
  const result = imClusterSpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("imClusterSchema", () => {
  for (const name of sampleNames) {
    it(`accepts the sample ${name}`, () => {
      const result = imClusterSchema.safeParse(rawSample(name));
      assert.ok(result.success, result.success ? "" : result.error.message);
    });
  }

  it("fills the defaults of a minimal spec", () => {
    const spec = imClusterSpecSchema.parse(minimal);
    assert.equal(spec.messageShards, 8);
    assert.equal(spec.mongo.key, "url");
    assert.equal(spec.gateway.replicas, 2);
    assert.equal(spec.gateway.allowPolling, true);
    assert.equal(spec.gateway.autoscaling.enabled, false);
    assert.equal(spec.gateway.autoscaling.connectionsMetric, "im_connected_devices");
    assert.deepEqual(spec.api.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } });
    assert.equal(spec.config.logLevel, "info");
    assert.equal(spec.ingress.enabled, false);
    assert.equal(spec.image.pullPolicy, "IfNotPresent");
  });

  it("rejects negative replicas", () => {
    assert.match(issues({ ...minimal, api: { replicas: -1 } }).join(), /^api\.replicas/);
  });

  it("rejects 0 and 1025 message shards", () => {
    assert.match(issues({ ...minimal, messageShards: 0 }).join(), /^messageShards/);
    assert.match(issues({ ...minimal, messageShards: 1025 }).join(), /^messageShards/);
    assert.match(issues({ ...minimal, messageShards: 2.5 }).join(), /^messageShards/);
  });

  it("rejects a bad ingress host and an enabled ingress without a host", () => {
    for (const host of ["https://im.example.com", "IM.example.com", "localhost", "im_example.com"]) {
      assert.match(issues({ ...minimal, ingress: { enabled: true, host } }).join(), /^ingress\.host/, host);
    }
    assert.match(issues({ ...minimal, ingress: { enabled: true } }).join(), /^ingress\.host: host is required/);
  });

  it("rejects contradictory settings", () => {
    assert.match(
      issues({ ...minimal, gateway: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } }).join(),
      /minReplicas must not exceed/,
    );
    assert.match(issues({ ...minimal, api: { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } } }).join(), /exactly one/);
    assert.match(issues({ ...minimal, api: { extraEnv: [{ name: "A" }] } }).join(), /exactly one of value, valueFrom/);
    assert.match(issues({ ...minimal, messageShardsMigration: { from: 16, to: 8 } }).join(), /fewer to more/);
  });

  it("rejects bad quantities and Secret names", () => {
    assert.match(issues({ ...minimal, api: { resources: { requests: { cpu: "lots" } } } }).join(), /^api\.resources\.requests\.cpu/);
    assert.match(issues({ ...minimal, mongo: { secretName: "Mongo_Secret" } }).join(), /^mongo\.secretName/);
  });

  it("rejects a cluster name too long for its children", () => {
    const raw = rawSample("imcluster-minimal") as { metadata: { name: string } };
    const result = imClusterSchema.safeParse({ ...raw, metadata: { ...raw.metadata, name: "x".repeat(41) } });
    assert.equal(result.success, false);
  });
});
