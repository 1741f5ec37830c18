import { createHmac, randomUUID } from "node:crypto";
import { z } from "zod";
import type { SmsMessage, SmsProvider } from "./provider.js";

/** Settings for {@link AliyunSmsProvider}; the secret is only ever used as the HMAC key, never sent or logged. */
export interface AliyunSmsSettings {
  accessKeyId: string;
  accessKeySecret: string;
  /** The approved SMS signature name (SignName). */
  signName: string;
  /** The approved template code; the template takes one variable, `${code}`. */
  templateCode: string;
  /** The Dysmsapi endpoint URL, e.g. https://dysmsapi.aliyuncs.com/ */
  endpoint: string;
  /** @default 5000 */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

const sendSmsResponseSchema = z.object({
  Code: z.string().optional(),
  Message: z.string().optional(),
  BizId: z.string().optional(),
  RequestId: z.string().optional(),
});
type SendSmsResponse = z.infer<typeof sendSmsResponseSchema>;

/**
 * Aliyun's percent-encoding for RPC signatures (RFC 3986): everything except A-Z a-z 0-9 - _ . ~ is encoded
 * as UTF-8 %XY, and a space becomes %20. encodeURIComponent already gives %20 for a space and leaves ~ alone;
 * it only spares ! ' ( ) *, which are encoded here.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Computes the Signature of an Aliyun RPC request (SignatureMethod HMAC-SHA1, SignatureVersion 1.0):
 * StringToSign = METHOD & percentEncode("/") & percentEncode(sorted, encoded "key=value" pairs joined by "&"),
 * Signature = base64(HMAC-SHA1(accessKeySecret + "&", StringToSign)). A `Signature` entry in params is ignored.
 */
export function signAliyunRpc(params: Record<string, string>, accessKeySecret: string, method: "GET" | "POST" = "GET"): string {
  const canonicalizedQuery = canonicalize(Object.entries(params).filter(([key]) => key !== "Signature"));
  const stringToSign = `${method}&${percentEncode("/")}&${percentEncode(canonicalizedQuery)}`;
  return createHmac("sha1", `${accessKeySecret}&`).update(stringToSign, "utf8").digest("base64");
}

function canonicalize(entries: Array<[string, string]>): string {
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`)
    .join("&");
}

/** Sends verification codes through Aliyun SMS (Dysmsapi SendSms, API version 2017-05-25). */
export class AliyunSmsProvider implements SmsProvider {
  readonly name = "aliyun";
  private readonly timeoutMs: number;

  constructor(private readonly settings: AliyunSmsSettings) {
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Sends the code; rejects when Aliyun refuses (Code other than "OK"), answers non-2xx, or cannot be reached in time. */
  async send(message: SmsMessage): Promise<{ messageId: string }> {
    const params: Record<string, string> = {
      AccessKeyId: this.settings.accessKeyId,
      Action: "SendSms",
      Format: "JSON",
      RegionId: "cn-hangzhou",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: randomUUID(),
      SignatureVersion: "1.0",
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      Version: "2017-05-25",
      PhoneNumbers: toPhoneNumber(message),
      SignName: this.settings.signName,
      TemplateCode: this.settings.templateCode,
      TemplateParam: JSON.stringify({ code: message.code }),
    };
    const signature = signAliyunRpc(params, this.settings.accessKeySecret, "GET");
    const url = new URL(this.settings.endpoint);
    url.search = `?${canonicalize(Object.entries(params))}&Signature=${percentEncode(signature)}`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: "GET", signal: AbortSignal.timeout(this.timeoutMs) });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      const reason = timedOut ? `timed out after ${this.timeoutMs} ms` : describeError(error);
      throw new Error(`Aliyun SMS SendSms request failed: ${reason}`, { cause: error });
    }

    const parsed = sendSmsResponseSchema.safeParse(parseJson(text));
    const result: SendSmsResponse = parsed.success ? parsed.data : {};
    if (!response.ok || result.Code !== "OK" || !result.BizId) {
      const code = result.Code ?? "(no Code)";
      const detail = result.Message ?? "(no Message)";
      const requestId = result.RequestId ? `, RequestId ${result.RequestId}` : "";
      throw new Error(`Aliyun SMS SendSms failed (HTTP ${response.status}${requestId}): ${code}: ${detail}`);
    }
    return { messageId: result.BizId };
  }
}

/** Mainland China ("86") numbers go as-is; others in Aliyun's international form: country code + number, no "+". */
function toPhoneNumber(message: SmsMessage): string {
  const areaCode = message.areaCode.replace(/^\+/, "");
  return areaCode === "86" ? message.phone : `${areaCode}${message.phone}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.message}${cause}`;
}
