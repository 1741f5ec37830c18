import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError, errorBody, httpStatusOf } from "./app-error.js";
import { errorCatalogue, languages } from "./catalogue.js";
import { pickLanguage } from "./language.js";

describe("error catalogue", () => {
  it("has unique numeric codes and a message in every language", () => {
    const seen = new Map<number, string>();
    for (const [key, definition] of Object.entries(errorCatalogue)) {
      assert.equal(seen.has(definition.code), false, `${key} reuses code ${definition.code} of ${seen.get(definition.code)}`);
      seen.set(definition.code, key);
      for (const language of languages) {
        assert.ok(definition.messages[language].trim().length > 0, `${key} lacks a ${language} message`);
      }
    }
  });

  it("maps kinds to HTTP statuses", () => {
    assert.equal(httpStatusOf("VALIDATION_FAILED"), 400);
    assert.equal(httpStatusOf("TOKEN_INVALID"), 401);
    assert.equal(httpStatusOf("PHONE_ALREADY_REGISTERED"), 409);
    assert.equal(httpStatusOf("RATE_LIMITED"), 429);
    assert.equal(httpStatusOf("INTERNAL_ERROR"), 500);
  });

  it("builds a localized body", () => {
    const body = errorBody(new AppError("USER_NOT_FOUND"), "zh-TW", "req-1");
    assert.deepEqual(body, { error: { code: 3006, key: "USER_NOT_FOUND", message: "使用者不存在", requestId: "req-1" } });
  });
});

describe("pickLanguage", () => {
  it("understands Accept-Language", () => {
    assert.equal(pickLanguage(undefined), "en");
    assert.equal(pickLanguage("zh-CN,zh;q=0.9"), "zh");
    assert.equal(pickLanguage("zh-TW"), "zh-TW");
    assert.equal(pickLanguage("zh-Hant-HK"), "zh-TW");
    assert.equal(pickLanguage("fr-FR, en;q=0.5, zh;q=0.8"), "zh");
    assert.equal(pickLanguage("de"), "en");
    assert.equal(pickLanguage("en;q=0, zh"), "zh");
  });
});
