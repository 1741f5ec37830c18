/**
 * Writes docs/openapi-upload.json from the upload app's route schemas
 * (`node --conditions=development --import tsx apps/upload/src/write-openapi.ts`); with --check, fails when
 * the committed file differs (tests/upload/openapi.test.ts checks it too).
 */
import { readFile, writeFile } from "node:fs/promises";
import { uploadOpenApiText } from "./openapi.js";

const target = new URL("../../../docs/openapi-upload.json", import.meta.url);
const text = uploadOpenApiText();

if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== text) {
    console.error("docs/openapi-upload.json is out of date: run apps/upload/src/write-openapi.ts and commit it");
    process.exit(1);
  }
} else {
  await writeFile(target, text);
  console.log(`wrote ${target.pathname}`);
}
