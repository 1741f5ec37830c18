import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { uploadOpenApiText } from "@im/upload";

describe("docs/openapi-upload.json", () => {
  it("is what the upload app's routes generate (run apps/upload/src/write-openapi.ts after changing a route)", async () => {
    const committed = await readFile(new URL("../../docs/openapi-upload.json", import.meta.url), "utf8");
    assert.equal(committed, uploadOpenApiText());
  });
});
