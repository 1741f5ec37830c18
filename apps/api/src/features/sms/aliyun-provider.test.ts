import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { AliyunSmsProvider, type AliyunSmsSettings, percentEncode, signAliyunRpc } from "./aliyun-provider.js";
import type { SmsMessage } from "./provider.js";

const SECRET = "test-secret-do-not-leak";
const SIGN_NAME = "阿里云短信测试";
const TEMPLATE_CODE = "SMS_154950909";

/** Aliyun's RFC 3986 encoding, written out byte by byte: only A-Z a-z 0-9 - _ . ~ stay, every other UTF-8 byte becomes %XY. */
function rfc3986(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /^[A-Za-z0-9\-_.~]$/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The documented V2 signature steps, independent of the code under test. */
function expectedSignature(params: Record<string, string>, secret: string, method = "GET"): string {
  // 1. Sort all parameters except Signature by name.
  const keys = Object.keys(params)
    .filter((key) => key !== "Signature")
    .sort();
  // 2. Encode each name and value, join them with "=", then join the pairs with "&".
  const canonicalizedQuery = keys.map((key) => `${rfc3986(key)}=${rfc3986(params[key] ?? "")}`).join("&");
  // 3. StringToSign = METHOD + "&" + encode("/") + "&" + encode(canonicalized query).
  const stringToSign = `${method}&${rfc3986("/")}&${rfc3986(canonicalizedQuery)}`;
  // 4. Base64 of HMAC-SHA1 keyed with secret + "&".
  return createHmac("sha1", `${secret}&`).update(stringToSign, "utf8").digest("base64");
}

interface TestServer {
  server: Server;
  endpoint: string;
}

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}/` };
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function reply(res: ServerResponse, status: number, body: Record<string, string>): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Plays Aliyun Dysmsapi: checks the request like the real service would and records the accepted ones. */
function fakeAliyun(received: Array<Record<string, string>>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const query = new URL(req.url ?? "/", "http://127.0.0.1").searchParams;
    const params = Object.fromEntries(query.entries());
    const { Signature: signature, ...signed } = params;
    const timestamp = signed.Timestamp ?? "";
    const problems = [
      req.method === "GET" ? "" : `method ${req.method}`,
      signed.Action === "SendSms" ? "" : "Action",
      signed.Version === "2017-05-25" ? "" : "Version",
      signed.Format === "JSON" ? "" : "Format",
      signed.RegionId === "cn-hangzhou" ? "" : "RegionId",
      signed.SignatureMethod === "HMAC-SHA1" ? "" : "SignatureMethod",
      signed.SignatureVersion === "1.0" ? "" : "SignatureVersion",
      signed.AccessKeyId === "test-id" ? "" : "AccessKeyId",
      /^[0-9a-f-]{36}$/.test(signed.SignatureNonce ?? "") ? "" : "SignatureNonce",
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(timestamp) ? "" : "Timestamp format",
      Math.abs(Date.parse(timestamp) - Date.now()) < 60_000 ? "" : "Timestamp age",
      /^\d+$/.test(signed.PhoneNumbers ?? "") ? "" : "PhoneNumbers",
      signed.SignName === SIGN_NAME ? "" : "SignName",
      signed.TemplateCode === TEMPLATE_CODE ? "" : "TemplateCode",
      /^\d{6}$/.test(String((JSON.parse(signed.TemplateParam ?? "{}") as { code?: unknown }).code)) ? "" : "TemplateParam",
    ].filter(Boolean);
    if (problems.length > 0) {
      reply(res, 400, { Code: "InvalidParameter", Message: problems.join(", "), RequestId: "r" });
      return;
    }
    if (signature !== expectedSignature(signed, SECRET)) {
      const mismatch = "Specified signature is not matched with our calculation.";
      reply(res, 400, { Code: "SignatureDoesNotMatch", Message: mismatch, RequestId: "r" });
      return;
    }
    received.push(signed);
    reply(res, 200, { Code: "OK", Message: "OK", BizId: "biz-1", RequestId: "r" });
  };
}

function settings(endpoint: string, overrides: Partial<AliyunSmsSettings> = {}): AliyunSmsSettings {
  return { accessKeyId: "test-id", accessKeySecret: SECRET, signName: SIGN_NAME, templateCode: TEMPLATE_CODE, endpoint, ...overrides };
}

const message: SmsMessage = { areaCode: "86", phone: "13800138000", code: "123456", purpose: "register" };

describe("percentEncode", () => {
  it("follows Aliyun's RFC 3986 rules", () => {
    assert.equal(percentEncode("a b"), "a%20b");
    assert.equal(percentEncode("*"), "%2A");
    assert.equal(percentEncode("~"), "~");
    assert.equal(percentEncode("/"), "%2F");
    assert.equal(percentEncode("+"), "%2B");
    assert.equal(percentEncode("!'()"), "%21%27%28%29");
    assert.equal(percentEncode("A-z_0.9"), "A-z_0.9");
    assert.equal(percentEncode("短信"), "%E7%9F%AD%E4%BF%A1");
    assert.equal(percentEncode('{"code":"1"}'), "%7B%22code%22%3A%221%22%7D");
  });

  it("agrees with the byte-by-byte encoder on awkward input", () => {
    const sample = "Ä ~*!'()+=&?/:@#[]{}😀短信";
    assert.equal(percentEncode(sample), rfc3986(sample));
  });
});

describe("signAliyunRpc", () => {
  it("reproduces Aliyun's documented example (DescribeRegions, secret testsecret)", () => {
    // Example from Aliyun's "API 签名机制" docs (https://developer.aliyun.com/ask/210168): the key is "testsecret&" and the
    // documented request URL carries Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D. The example spells the parameter "TimeStamp".
    const params = {
      TimeStamp: "2016-02-23T12:46:24Z",
      Format: "XML",
      AccessKeyId: "testid",
      Action: "DescribeRegions",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
      Version: "2014-05-26",
      SignatureVersion: "1.0",
    };
    assert.equal(signAliyunRpc(params, "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
    assert.equal(expectedSignature(params, "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
  });

  it("matches the documented steps for a SendSms request, for GET and POST, ignoring Signature", () => {
    const params = {
      AccessKeyId: "test-id",
      Action: "SendSms",
      Format: "JSON",
      PhoneNumbers: "13800138000",
      RegionId: "cn-hangzhou",
      SignName: SIGN_NAME,
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: "45e25e9b-0a6f-4070-8c85-2956eda1b466",
      SignatureVersion: "1.0",
      TemplateCode: TEMPLATE_CODE,
      TemplateParam: '{"code":"123456"}',
      Timestamp: "2026-11-26T02:00:00Z",
      Version: "2017-05-25",
    };
    assert.equal(signAliyunRpc(params, SECRET), expectedSignature(params, SECRET, "GET"));
    assert.equal(signAliyunRpc(params, SECRET, "POST"), expectedSignature(params, SECRET, "POST"));
    assert.notEqual(signAliyunRpc(params, SECRET, "POST"), signAliyunRpc(params, SECRET, "GET"));
    assert.equal(signAliyunRpc({ ...params, Signature: "ignored" }, SECRET), signAliyunRpc(params, SECRET));
  });
});

describe("AliyunSmsProvider against a local fake Aliyun", () => {
  const received: Array<Record<string, string>> = [];
  let aliyun: TestServer;

  before(async () => {
    aliyun = await startServer(fakeAliyun(received));
  });

  after(async () => {
    await stopServer(aliyun.server);
  });

  it("sends a correctly signed SendSms and resolves with the BizId", async () => {
    const provider = new AliyunSmsProvider(settings(aliyun.endpoint));
    assert.equal(provider.name, "aliyun");
    assert.deepEqual(await provider.send(message), { messageId: "biz-1" });
    const request = received.at(-1);
    assert.equal(request?.PhoneNumbers, "13800138000");
    assert.equal(request?.TemplateParam, '{"code":"123456"}');
    assert.equal(request?.SignName, SIGN_NAME);
  });

  it("rejects with SignatureDoesNotMatch when signed with the wrong secret, without leaking it", async () => {
    const wrongSecret = "wrong-secret-should-not-appear";
    const provider = new AliyunSmsProvider(settings(aliyun.endpoint, { accessKeySecret: wrongSecret }));
    await assert.rejects(provider.send(message), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /SignatureDoesNotMatch/);
      assert.match(error.message, /HTTP 400/);
      assert.ok(!error.message.includes(wrongSecret));
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  });

  it("sends international numbers as country code + number", async () => {
    const provider = new AliyunSmsProvider(settings(aliyun.endpoint));
    await provider.send({ ...message, areaCode: "852", phone: "61234567", purpose: "reset_password" });
    assert.equal(received.at(-1)?.PhoneNumbers, "85261234567");
  });

  it("rejects when Aliyun answers with a business error code", async () => {
    const limited = await startServer((_req, res) =>
      reply(res, 200, { Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", RequestId: "r" }),
    );
    try {
      const provider = new AliyunSmsProvider(settings(limited.endpoint));
      await assert.rejects(provider.send(message), /isv\.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5/);
    } finally {
      await stopServer(limited.server);
    }
  });

  it("rejects within timeoutMs when the server never answers", async () => {
    const silent = await startServer(() => {});
    try {
      const provider = new AliyunSmsProvider(settings(silent.endpoint, { timeoutMs: 300 }));
      const started = Date.now();
      await assert.rejects(provider.send(message), /timed out after 300 ms/);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 2_000, `took ${elapsed} ms`);
    } finally {
      await stopServer(silent.server);
    }
  });

  it("rejects when the endpoint cannot be reached", async () => {
    const closed = await startServer(() => {});
    await stopServer(closed.server);
    const provider = new AliyunSmsProvider(settings(closed.endpoint));
    await assert.rejects(provider.send(message), /Aliyun SMS SendSms request failed: fetch failed/);
  });
});
