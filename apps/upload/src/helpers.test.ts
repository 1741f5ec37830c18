import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRange } from "./downloads.js";
import { displayName, MAX_NAME_LENGTH } from "./ingest.js";
import { choosePartSize } from "./multipart.js";
import { checkRenamedExecutable } from "./uploads.js";

const MiB = 1024 * 1024;

describe("upload helpers", () => {
  it("keeps only a display-safe last segment of client names", () => {
    assert.equal(displayName("../../etc/passwd"), "passwd");
    assert.equal(displayName("C:\\Users\\a\\report.docx"), "report.docx");
    assert.equal(displayName("a\u0000b\u202Ec\u0007.txt"), "abc.txt");
    assert.equal(displayName(".."), "");
    assert.equal(displayName("  spaced  "), "spaced");
    const long = displayName(`${"名".repeat(300)}.pdf`);
    assert.equal([...long].length, MAX_NAME_LENGTH);
    assert.ok(long.endsWith(".pdf"));
  });

  it("parses single byte ranges and refuses unsatisfiable ones", () => {
    assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=90-200", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-5", 100), { start: 95, end: 99 });
    assert.deepEqual(parseRange("bytes=-500", 100), { start: 0, end: 99 });
    assert.deepEqual(parseRange("bytes=50-", 100), { start: 50, end: 99 });
    assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
    assert.equal(parseRange("bytes=9-3", 100), "unsatisfiable");
    assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
    assert.equal(parseRange(undefined, 100), undefined);
    assert.equal(parseRange("bytes=0-1,5-6", 100), undefined, "several ranges: the whole is served");
    assert.equal(parseRange("items=0-1", 100), undefined);
  });

  it("picks part sizes of at least 5 MiB and at most 10,000 parts", () => {
    assert.equal(choosePartSize(1), 5 * MiB);
    assert.equal(choosePartSize(40 * 1024 * MiB), 5 * MiB);
    const huge = 5 * 1024 * 1024 * MiB;
    const part = choosePartSize(huge);
    assert.ok(Math.ceil(huge / part) <= 10_000);
    assert.equal(part % MiB, 0);
  });

  it("refuses executables under another type's name only", () => {
    assert.throws(() => checkRenamedExecutable("application/x-msdownload", "invoice.pdf"), /not allowed/);
    assert.throws(() => checkRenamedExecutable("application/x-elf", "photo.JPG"), /not allowed/);
    checkRenamedExecutable("application/x-msdownload", "setup.exe");
    checkRenamedExecutable("application/x-elf", "tool");
    checkRenamedExecutable("application/pdf", "invoice.pdf");
    checkRenamedExecutable(undefined, "notes.txt");
  });
});
