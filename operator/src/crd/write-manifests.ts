// `npm run crd:write` regenerates the CRD and RBAC manifests under k8s/; `npm run crd:check` (--check)
// fails when the committed files differ from what the code generates.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { driftedFiles, generatedFiles, repositoryRoot } from "./manifests.js";

if (process.argv.includes("--check")) {
  const drifted = driftedFiles();
  if (drifted.length > 0) {
    console.error(`out of date, run \`npm run crd:write\`:\n${drifted.map((path) => `  ${path}`).join("\n")}`);
    process.exit(1);
  }
  console.log("k8s manifests are up to date");
} else {
  for (const file of generatedFiles()) {
    mkdirSync(dirname(join(repositoryRoot, file.path)), { recursive: true });
    writeFileSync(join(repositoryRoot, file.path), file.content);
    console.log(`wrote ${file.path}`);
  }
}
