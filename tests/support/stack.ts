import { type ApiConfig, loadApiConfig, type RunningApi, type SmsMessage, type SmsProvider, startApi } from "@im/api";
import { createLogger } from "@im/telemetry";
import { type FerretDbServer, type RedisServer, startFerretDb, startRedis } from "@im/testing";

/** An SMS provider for tests that keeps the codes it is asked to send, so a test can type them in. */
export class RecordingSmsProvider implements SmsProvider {
  readonly name = "recording";
  readonly sent: SmsMessage[] = [];
  failNext = false;

  async send(message: SmsMessage): Promise<{ messageId: string }> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("provider refused");
    }
    this.sent.push(message);
    return { messageId: `rec-${this.sent.length}` };
  }

  lastCode(areaCode: string, phone: string): string {
    const found = this.sent.findLast((m) => m.areaCode === areaCode && m.phone === phone);
    if (!found) throw new Error(`no SMS sent to ${areaCode}${phone}`);
    return found.code;
  }
}

export interface TestStack {
  api: RunningApi;
  redis: RedisServer;
  mongo: FerretDbServer;
  sms: RecordingSmsProvider;
  config: ApiConfig;
  stop(): Promise<void>;
}

/**
 * Starts real Redis and FerretDB servers on free ports (or uses those given: a rewindable Redis, say) and
 * the API in this process. Stopping the stack stops the servers too.
 */
export async function startStack(
  env: Record<string, string> = {},
  servers: { redis?: RedisServer; mongo?: FerretDbServer } = {},
): Promise<TestStack> {
  const [redis, mongo] = await Promise.all([servers.redis ?? startRedis(), servers.mongo ?? startFerretDb()]);
  const config = loadApiConfig({
    API_HOST: "127.0.0.1",
    API_PORT: "0",
    MONGO_URL: mongo.urlFor("im_test"),
    REDIS_URL: redis.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    API_PASSWORD_SCRYPT_LOG2N: "10",
    API_VALIDATE_RESPONSES: "true",
    API_REGISTER_MAX_PER_IP: "100000",
    API_LOGIN_MAX_PER_IP: "100000",
    API_SMS_MAX_PER_IP_PER_HOUR: "100000",
    API_SMS_RESEND_SECONDS: "1",
    API_RATE_NOTICE_PER_USER: "100000", // tests and load setups befriend many users at once; rate-limits.test.ts sets its own
    ...env,
  });
  const sms = new RecordingSmsProvider();
  let api: RunningApi;
  try {
    api = await startApi(config, { sms, logger: createLogger({ name: "api-test", level: config.LOG_LEVEL }) });
  } catch (error) {
    await Promise.all([redis.stop(), mongo.stop()]);
    throw error;
  }
  return {
    api,
    redis,
    mongo,
    sms,
    config,
    async stop() {
      await api.close();
      await Promise.all([redis.stop(), mongo.stop()]);
    },
  };
}
