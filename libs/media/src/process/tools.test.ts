import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AppError } from "@im/protocol";
import { inputArgs, probe, runTool, ToolError } from "./tools.js";

describe("runTool / probe", () => {
  it("kills a tool that outlives its timeout", async () => {
    const started = Date.now();
    await assert.rejects(runTool("sleep", ["5"], 200), (error: unknown) => {
      assert.ok(error instanceof ToolError);
      assert.match(error.message, /timed out after 200 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000, "killed, not waited for");
  });

  it("keeps stderr of a failed run and reports a missing tool", async () => {
    await assert.rejects(runTool("ffmpeg", ["-v", "error", "-i", "/nonexistent/in.amr", "-f", "null", "-"], 10_000), (error: unknown) => {
      assert.ok(error instanceof ToolError);
      assert.match(error.stderr, /No such file or directory/);
      return true;
    });
    await assert.rejects(runTool("no-such-tool-im", [], 1_000), /could not start/);
  });

  it("reads only local files, with the demuxer the sniffed type names", async () => {
    assert.deepEqual(inputArgs("audio/amr", "/w/in"), ["-protocol_whitelist", "file", "-f", "amr", "-i", "file:/w/in"]);
    const dir = await mkdtemp(join(tmpdir(), "im-tools-test-"));
    try {
      // An HLS playlist pointing at another local file: read as the MP4 it was sniffed as, it is unreadable.
      const path = join(dir, "in");
      await writeFile(path, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n/etc/passwd\n#EXT-X-ENDLIST\n");
      await assert.rejects(
        probe(path, "video/mp4", 10_000),
        (error: unknown) => error instanceof AppError && error.key === "MEDIA_UNREADABLE",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
