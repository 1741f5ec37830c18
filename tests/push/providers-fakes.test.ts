import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { type ClientHttp2Session, connect } from "node:http2";
import { Agent, request } from "node:https";
import { after, before, describe, it } from "node:test";
import {
  type ApnsServer,
  createApnsTestKey,
  type FcmServer,
  type HuaweiServer,
  startApnsServer,
  startFcmServer,
  startHuaweiServer,
  startXiaomiServer,
  type XiaomiServer,
} from "@im/testing";
import { SignJWT } from "jose";
import { MINUTE, testClock } from "./providers-helpers.js";

// The client tests can only fail if the fakes refuse what the providers refuse: these requests are made by hand.

const clock = testClock();
const key = createApnsTestKey();
let apns: ApnsServer;
let fcm: FcmServer;
let huawei: HuaweiServer;
let xiaomi: XiaomiServer;
let agent: Agent;

before(async () => {
  apns = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, now: clock.now });
  fcm = await startFcmServer({ now: clock.now });
  huawei = await startHuaweiServer({ appId: "1049", clientSecret: "s", now: clock.now });
  xiaomi = await startXiaomiServer({ appSecret: "x", now: clock.now });
  agent = new Agent({ ca: apns.ca });
});
after(async () => {
  agent.destroy();
  await Promise.all([apns.stop(), fcm.stop(), huawei.stop(), xiaomi.stop()]);
});

const apnsJwt = (iatMs: number) =>
  new SignJWT({ iss: key.teamId, iat: Math.floor(iatMs / 1000) })
    .setProtectedHeader({ alg: "ES256", kid: key.keyId })
    .sign(createPrivateKey(key.privateKey));

async function apnsPost(
  headers: Record<string, string>,
  payload: string,
  reuse?: ClientHttp2Session,
): Promise<{ status: number; reason?: string }> {
  const session = reuse ?? connect(apns.url, { ca: apns.ca });
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": `/3/device/${"ab".repeat(32)}`, ...headers });
      let status = 0;
      let body = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
      });
      stream.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      stream.on("end", () => resolve({ status, ...(body ? { reason: (JSON.parse(body) as { reason: string }).reason } : {}) }));
      stream.on("error", reject);
      stream.end(payload);
    });
  } finally {
    if (!reuse) session.close();
  }
}

function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the local provider servers refuse what the real ones refuse", () => {
  it("APNs: token age, token churn, topic/push type, priority, collapse id and size", async () => {
    const alert = { "apns-topic": "com.example.im", "apns-push-type": "alert", "apns-priority": "10" };
    const payload = JSON.stringify({ aps: { alert: "hi" } });
    const first = await apnsJwt(clock.now());
    const connection = connect(apns.url, { ca: apns.ca });
    assert.deepEqual(await apnsPost({ ...alert, authorization: `bearer ${first}` }, payload, connection), { status: 200 });
    assert.equal((await apnsPost({ ...alert }, payload)).reason, "MissingProviderToken");
    const old = await apnsJwt(clock.now() - 61 * MINUTE);
    assert.deepEqual(await apnsPost({ ...alert, authorization: `bearer ${old}` }, payload), {
      status: 403,
      reason: "ExpiredProviderToken",
    });
    const churn = await apnsJwt(clock.now() + 1000);
    assert.deepEqual(await apnsPost({ ...alert, authorization: `bearer ${churn}` }, payload, connection), {
      status: 429,
      reason: "TooManyProviderTokenUpdates",
    });
    assert.deepEqual(
      await apnsPost({ ...alert, authorization: `bearer ${churn}` }, payload),
      { status: 200 },
      "another connection has its own token",
    );
    connection.close();
    const auth = { authorization: `bearer ${first}` };
    assert.equal((await apnsPost({ ...alert, ...auth, "apns-push-type": "voip" }, payload)).reason, "InvalidPushType");
    assert.equal((await apnsPost({ ...alert, ...auth, "apns-push-type": "background" }, payload)).reason, "BadPriority");
    assert.equal((await apnsPost({ ...alert, ...auth, "apns-collapse-id": "x".repeat(65) }, payload)).reason, "BadCollapseId");
    assert.equal((await apnsPost({ ...alert, ...auth, "apns-expiration": "soon" }, payload)).reason, "BadExpirationDate");
    const big = JSON.stringify({ aps: { alert: "x".repeat(4090) } });
    assert.deepEqual(await apnsPost({ ...alert, ...auth }, big), { status: 413, reason: "PayloadTooLarge" });
    const voip = { ...auth, "apns-topic": "com.example.im.voip", "apns-push-type": "voip", "apns-priority": "10" };
    assert.deepEqual(await apnsPost(voip, big), { status: 200 });
    clock.advance(61 * MINUTE);
    assert.deepEqual(await apnsPost({ ...alert, ...auth }, payload), { status: 403, reason: "ExpiredProviderToken" });
  });

  it("FCM: assertion lifetime, expired access tokens, string-only data", async () => {
    const signer = createPrivateKey(fcm.account.private_key);
    const assertion = (lifetime: number) =>
      new SignJWT({ scope: "https://www.googleapis.com/auth/firebase.messaging" })
        .setProtectedHeader({ alg: "RS256", kid: fcm.account.private_key_id })
        .setIssuer(fcm.account.client_email)
        .setAudience(fcm.tokenUri)
        .setIssuedAt(Math.floor(clock.now() / 1000))
        .setExpirationTime(Math.floor(clock.now() / 1000) + lifetime)
        .sign(signer);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    const long = await post(fcm.tokenUri, form, new URLSearchParams({ grant_type: grant, assertion: await assertion(7200) }).toString());
    assert.equal(long.status, 400);
    const ok = await post(fcm.tokenUri, form, new URLSearchParams({ grant_type: grant, assertion: await assertion(3600) }).toString());
    assert.equal(ok.status, 200);
    const bearer = { authorization: `Bearer ${String(ok.json.access_token)}`, "content-type": "application/json" };
    const sendUrl = `${fcm.url}/v1/projects/${fcm.account.project_id}/messages:send`;
    const numbers = await post(sendUrl, bearer, JSON.stringify({ message: { token: "t", data: { n: 1 } } }));
    assert.equal(numbers.status, 400);
    assert.equal((await post(sendUrl, bearer, JSON.stringify({ message: { token: "t", data: { n: "1" } } }))).status, 200);
    clock.advance(60 * MINUTE);
    assert.equal((await post(sendUrl, bearer, JSON.stringify({ message: { token: "t" } }))).status, 401);
  });

  it("Huawei: notifications need a click action; Xiaomi: titles under 50 characters and key= auth", async () => {
    const token = await post(
      huawei.tokenUrl,
      { "content-type": "application/x-www-form-urlencoded" },
      "grant_type=client_credentials&client_id=1049&client_secret=s",
    );
    const bearer = { authorization: `Bearer ${String(token.json.access_token)}`, "content-type": "application/json" };
    const noClick = { message: { token: ["t"], android: { notification: { title: "a", body: "b" } } } };
    assert.equal((await post(`${huawei.url}/v1/1049/messages:send`, bearer, JSON.stringify(noClick))).json.code, "80100003");
    const xiaomiForm = (title: string) =>
      new URLSearchParams({
        registration_id: "r",
        restricted_package_name: "p",
        pass_through: "0",
        payload: "{}",
        title,
        description: "d",
      }).toString();
    const formHeaders = { "content-type": "application/x-www-form-urlencoded", authorization: "key=x" };
    assert.equal((await post(`${xiaomi.url}/v3/message/regid`, formHeaders, xiaomiForm("t".repeat(50)))).json.code, 10017);
    assert.equal((await post(`${xiaomi.url}/v3/message/regid`, formHeaders, xiaomiForm("t".repeat(49)))).json.code, 0);
    assert.equal(
      (await post(`${xiaomi.url}/v3/message/regid`, { ...formHeaders, authorization: "key=y" }, xiaomiForm("t"))).json.code,
      21301,
    );
  });
});
