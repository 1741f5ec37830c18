import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Clock, createTestTls, pause, ReplyScript, readBody, sendJson, startHttpsFake, type TestTls } from "./common.js";

/**
 * A scripted MiPush answer: result code (0 ok, 20301 no valid targets, 21301 authentication failed, 10027/10002
 * rate or server busy, ...). Per-token replies (`script.forToken`) with code 20301 mark that regId bad inside a
 * batch (the fake answers `data.bad_regids`).
 */
export interface XiaomiReply {
  status?: number;
  code: number;
  reason?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
}

/** One `v3/message/regid` request the fake received: the form fields. */
export interface XiaomiRequest {
  time: number;
  authorization?: string;
  fields: Record<string, string>;
  regIds: string[];
  status: number;
  code: number;
}

export interface XiaomiServerOptions {
  appSecret: string;
  /** Android package names allowed as `restricted_package_name`; any when unset. */
  packageNames?: readonly string[];
  tls?: TestTls;
  now?: Clock;
  delayMs?: number;
}

/** A local Xiaomi MiPush send route. */
export interface XiaomiServer {
  /** `https://127.0.0.1:<port>` (PUSH_XIAOMI_URL). */
  url: string;
  ca: string;
  requests: XiaomiRequest[];
  script: ReplyScript<XiaomiReply>;
  readonly accepted: number;
  stop(): Promise<void>;
}

/**
 * Starts a local MiPush: `POST /v3/message/regid`, form-urlencoded, `Authorization: key=<AppSecret>` (else code
 * 21301), fields registration_id (comma-separated), restricted_package_name, pass_through 0|1, payload (≤ 4096
 * bytes), title (< 50 chars) and description (< 128 chars) for notifications, notify_type, time_to_live (ms),
 * notify_id (int). Answers `{result:"ok", code:0, data:{id}}`, `data.bad_regids` for per-token-scripted bad
 * regIds, `{result:"error", code:20301}` when all are bad, or the scripted reply (MiPush server API docs).
 */
export async function startXiaomiServer(options: XiaomiServerOptions): Promise<XiaomiServer> {
  const tls = options.tls ?? (await createTestTls({ shared: true }));
  const now = options.now ?? Date.now;
  const script = new ReplyScript<XiaomiReply>();
  const requests: XiaomiRequest[] = [];
  let accepted = 0;

  function check(fields: Record<string, string>): XiaomiReply | undefined {
    if (!fields.registration_id) return { code: 10017, reason: "registration_id missing" };
    if (options.packageNames && !options.packageNames.includes(fields.restricted_package_name ?? "")) {
      return { code: 22022, reason: "restricted_package_name not of this app" };
    }
    const passThrough = fields.pass_through ?? "0";
    if (passThrough !== "0" && passThrough !== "1") return { code: 10017, reason: "pass_through" };
    if (Buffer.byteLength(fields.payload ?? "") > 4096) return { code: 10017, reason: "payload too long" };
    if (passThrough === "0") {
      if (!fields.title || [...fields.title].length >= 50) return { code: 10017, reason: "title" };
      if (!fields.description || [...fields.description].length >= 128) return { code: 10017, reason: "description" };
    }
    for (const name of ["notify_type", "time_to_live", "notify_id"]) {
      const value = fields[name];
      if (value !== undefined && !/^-?\d+$/.test(value)) return { code: 10017, reason: name };
    }
    return undefined;
  }

  async function send(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const fields = Object.fromEntries(form);
    const regIds = (fields.registration_id ?? "").split(",").filter(Boolean);
    const authorization = request.headers.authorization;
    const record: XiaomiRequest = { time: now(), authorization, fields, regIds, status: 200, code: 0 };
    requests.push(record);
    let reply: XiaomiReply | undefined;
    if (authorization !== `key=${options.appSecret}`) reply = { code: 21301, reason: "认证失败 authentication failed" };
    else if (!request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded"))
      reply = { code: 10017, reason: "not a form" };
    else reply = check(fields);
    let bad: string[] = [];
    if (!reply) {
      bad = [...script.forTokens(regIds)].filter(([, r]) => r.code === 20301).map(([t]) => t);
      if (bad.length === regIds.length) reply = { code: 20301, reason: "No valid targets!" };
      else reply = script.take(regIds.filter((id) => !bad.includes(id)));
    }
    await pause(reply?.delayMs ?? options.delayMs ?? 0);
    const code = reply?.code ?? 0;
    const status = reply?.status ?? 200;
    record.status = status;
    record.code = code;
    const headers: Record<string, string> =
      reply?.retryAfterSeconds === undefined ? {} : { "retry-after": String(reply.retryAfterSeconds) };
    const traceId = `Xcm${randomBytes(8).toString("hex")}`;
    if (code !== 0 || status !== 200) {
      sendJson(
        response,
        status,
        { result: "error", code, reason: reply?.reason ?? "error", description: reply?.reason ?? "error", trace_id: traceId },
        headers,
      );
      return;
    }
    accepted += 1;
    const data: Record<string, string> = { id: `alm${randomBytes(10).toString("hex")}` };
    if (bad.length > 0) data.bad_regids = bad.join(",");
    sendJson(response, 200, {
      result: "ok",
      code: 0,
      data,
      description: "成功",
      info: `Received push messages for ${regIds.length} REGID`,
      trace_id: traceId,
    });
  }

  const fake = await startHttpsFake(tls, async (request, response) => {
    if (request.method === "POST" && request.url === "/v3/message/regid") return send(request, response);
    sendJson(response, 404, { result: "error", code: 404, reason: `no route ${request.method} ${request.url}` });
  });
  return {
    url: fake.url,
    ca: tls.ca,
    requests,
    script,
    get accepted() {
      return accepted;
    },
    stop: fake.stop,
  };
}
