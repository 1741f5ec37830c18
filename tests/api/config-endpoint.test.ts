import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { startApi } from "@im/api";
import { createLogger } from "@im/telemetry";
import { ApiClient } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";

/** The seed's defaults, written out here so an accidental change to them shows. */
const SEED_DEFAULTS = {
  apiUrl: "http://127.0.0.1:8092/",
  uploadUrl: "http://127.0.0.1:8088/",
  downloadUrl: "http://127.0.0.1:8089/",
  downloadAvatarUrl: "http://127.0.0.1:8089/",
  liveUrl: "rtmp://127.0.0.1:1935/live/",
  jitsiServer: "",
  meetingHost: "",
  helpUrl: "",
  shareUrl: "",
  softUrl: "",
  fileValidTime: -1,
  chatRecordTimeOut: -1,
  closeTelephoneFind: 0,
  showContactsUser: 0,
  displayRedPacket: 1,
  videoLen: 20,
  audioLen: 60,
  distance: 20,
  androidVersion: 0,
  iosVersion: 0,
  androidAppUrl: "",
  iosAppUrl: "",
  androidExplain: "",
  iosExplain: "",
  keywordFilter: 0,
};

/** What GET /v1/config serves: the media addresses come from MEDIA_PUBLIC_URL (default http://127.0.0.1:8094), not the document. */
const SERVED = {
  ...SEED_DEFAULTS,
  uploadUrl: "http://127.0.0.1:8094/",
  downloadUrl: "http://127.0.0.1:8094/",
  downloadAvatarUrl: "http://127.0.0.1:8094/",
};

describe("GET /v1/config", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());
  afterEach(async () => {
    // Every test starts from the seed document.
    await stack.api.deps.models.clientConfig.replaceOne(
      { _id: "client" },
      { _id: "client", values: SEED_DEFAULTS, modifyTime: Date.now() },
      { upsert: true },
    );
  });

  async function config() {
    const reply = await client.get<Record<string, unknown>>("/v1/config");
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  }
  const setValues = (values: Record<string, unknown>) =>
    stack.api.deps.models.clientConfig.updateOne(
      { _id: "client" },
      { $set: Object.fromEntries(Object.entries(values).map(([k, v]) => [`values.${k}`, v])) },
    );

  it("is public and returns the seed defaults", async () => {
    assert.deepEqual(await config(), SERVED);
    const doc = await stack.api.deps.models.clientConfig.findById("client").lean();
    assert.deepEqual(doc?.values, SEED_DEFAULTS, "the seed document was created at start-up");
    // A bad token does not matter on a public route.
    const withBadToken = await client.get("/v1/config", "not-a-token");
    assert.equal(withBadToken.status, 200);
  });

  it("returns what an operator stored", async () => {
    await setValues({
      apiUrl: "https://api.example.com/",
      androidVersion: 120,
      androidExplain: "bug fixes",
      closeTelephoneFind: 1,
      fileValidTime: 30,
    });
    const values = await config();
    assert.equal(values.apiUrl, "https://api.example.com/");
    assert.equal(values.androidVersion, 120);
    assert.equal(values.androidExplain, "bug fixes");
    assert.equal(values.closeTelephoneFind, 1);
    assert.equal(values.fileValidTime, 30);
    assert.equal(values.liveUrl, SEED_DEFAULTS.liveUrl, "untouched fields keep their values");
  });

  it("falls back to the default for a value stored with the wrong type or out of range", async () => {
    await setValues({
      apiUrl: 42,
      fileValidTime: "forever",
      closeTelephoneFind: 5,
      androidVersion: -3,
      videoLen: 1.5,
      displayRedPacket: null,
      liveUrl: { nested: true },
      audioLen: ["60"],
      iosVersion: 7,
    });
    const values = await config();
    assert.equal(values.apiUrl, SEED_DEFAULTS.apiUrl);
    assert.equal(values.fileValidTime, SEED_DEFAULTS.fileValidTime);
    assert.equal(values.closeTelephoneFind, SEED_DEFAULTS.closeTelephoneFind);
    assert.equal(values.androidVersion, SEED_DEFAULTS.androidVersion);
    assert.equal(values.videoLen, SEED_DEFAULTS.videoLen);
    assert.equal(values.displayRedPacket, SEED_DEFAULTS.displayRedPacket);
    assert.equal(values.liveUrl, SEED_DEFAULTS.liveUrl);
    assert.equal(values.audioLen, SEED_DEFAULTS.audioLen);
    assert.equal(values.iosVersion, 7, "the good value beside the bad ones is kept");
  });

  it("does not leak fields that are not part of the configuration", async () => {
    await setValues({ adminPassword: "hunter2", internalNote: "x" });
    const values = await config();
    assert.deepEqual(Object.keys(values).sort(), Object.keys(SEED_DEFAULTS).sort());
  });

  it("serves the defaults when the document is missing", async () => {
    await stack.api.deps.models.clientConfig.deleteOne({ _id: "client" });
    assert.deepEqual(await config(), SERVED);
  });

  it("serves uploadUrl, downloadUrl and downloadAvatarUrl from MEDIA_PUBLIC_URL, whatever the document stores", async () => {
    await setValues({ uploadUrl: "http://elsewhere.example.com/", downloadUrl: "http://elsewhere.example.com/" });
    assert.equal((await config()).uploadUrl, "http://127.0.0.1:8094/");
    const replica = await startApi(
      { ...stack.config, MEDIA_PUBLIC_URL: "https://im.example.com" },
      { sms: stack.sms, logger: createLogger({ name: "media", level: "silent" }) },
    );
    try {
      const values = (await new ApiClient(replica.url).get<Record<string, unknown>>("/v1/config")).body;
      assert.equal(values.uploadUrl, "https://im.example.com/");
      assert.equal(values.downloadUrl, "https://im.example.com/");
      assert.equal(values.downloadAvatarUrl, "https://im.example.com/");
      assert.equal(values.apiUrl, SEED_DEFAULTS.apiUrl);
    } finally {
      await replica.close();
    }
  });

  it("adds new fields with their defaults on start-up and keeps the operator's values", async () => {
    const { iosExplain: _dropped, distance: _alsoDropped, ...older } = SEED_DEFAULTS;
    await stack.api.deps.models.clientConfig.replaceOne(
      { _id: "client" },
      { _id: "client", values: { ...older, apiUrl: "https://kept.example.com/" }, modifyTime: 1 },
    );
    const replica = await startApi(stack.config, { sms: stack.sms, logger: createLogger({ name: "replica", level: "silent" }) });
    try {
      const doc = await stack.api.deps.models.clientConfig.findById("client").lean();
      assert.equal(doc?.values.iosExplain, SEED_DEFAULTS.iosExplain);
      assert.equal(doc?.values.distance, SEED_DEFAULTS.distance);
      assert.equal(doc?.values.apiUrl, "https://kept.example.com/");
      const values = (await new ApiClient(replica.url).get<Record<string, unknown>>("/v1/config")).body;
      assert.equal(values.apiUrl, "https://kept.example.com/");
      assert.equal(values.distance, 20);
    } finally {
      await replica.close();
    }
  });
});
