import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decimalIntText, MAX_USER_ID, userIdSchema, userIdTextSchema } from "./ids.js";

describe("strict ids", () => {
  it("reads only plain decimal text as a user id", () => {
    for (const good of ["1", "12", "100001", String(MAX_USER_ID)]) assert.equal(userIdTextSchema.parse(good), Number(good));
    const bad = [
      "",
      "0",
      "1e3",
      "0x10",
      " 12",
      "12 ",
      "12.0",
      "+5",
      "-1",
      "012",
      "9007199254740993",
      String(MAX_USER_ID + 1),
      "١٢",
      "1_000",
    ];
    for (const text of bad) assert.equal(userIdTextSchema.safeParse(text).success, false, JSON.stringify(text));
  });

  it("takes a JSON user id only as an integer number in range", () => {
    assert.equal(userIdSchema.parse(5), 5);
    for (const value of [0, -1, 1.5, MAX_USER_ID + 1, "5", Number.NaN])
      assert.equal(userIdSchema.safeParse(value).success, false, String(value));
  });

  it("bounds other decimal numbers (page) the same way, 0 allowed when the range has it", () => {
    const page = decimalIntText(0, 10);
    assert.equal(page.parse("0"), 0);
    assert.equal(page.safeParse("").success, false);
    assert.equal(page.safeParse("11").success, false);
  });
});
