import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { toYaml } from "../crd/manifests.js";
import { render } from "./render.js";
import { sampleCluster, sampleNames, stubDashboards } from "./test-support.js";

// Golden files of render for each sample; UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
const goldenDir = fileURLToPath(new URL("../../test/golden/", import.meta.url));

describe("render golden files", () => {
  for (const name of sampleNames) {
    it(`renders ${name} as in test/golden/${name}.yaml`, () => {
      const actual = toYaml(
        render(sampleCluster(name), { dashboards: stubDashboards }),
        `# render() of k8s/samples/${name}.yaml (uid and stub dashboards from test-support.ts); UPDATE_GOLDEN=1 rewrites it.\n`,
      );
      const path = `${goldenDir}${name}.yaml`;
      if (process.env.UPDATE_GOLDEN === "1") {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(path, actual);
        return;
      }
      assert.equal(actual, readFileSync(path, "utf8"), `render output differs from ${path}; rerun with UPDATE_GOLDEN=1 if intended`);
    });
  }
});
