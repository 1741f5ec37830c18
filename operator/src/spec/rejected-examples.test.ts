import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imClusterSchema } from "./imcluster.js";
import { rejectedExamples, rejectedObject, validImCluster } from "./rejected-examples.js";

describe("rejected examples (each refused by zod; tests/k8s/admission.test.ts feeds them to the API server)", () => {
  it("start from a valid ImCluster", () => {
    const result = imClusterSchema.safeParse(validImCluster());
    assert.ok(result.success, result.success ? "" : result.error.message);
  });

  for (const example of rejectedExamples) {
    it(`refuses ${example.what} at ${example.path}`, () => {
      const result = imClusterSchema.safeParse(rejectedObject(example));
      assert.equal(result.success, false, "zod accepted it");
      const paths = result.error?.issues.map((issue) => issue.path.join(".")) ?? [];
      assert.ok(paths.includes(example.path), `issues at ${paths.join(", ")}`);
    });
  }
});
