import type { Logger } from "@im/telemetry";
import type { ApiConfig } from "../../config.js";
import { AliyunSmsProvider } from "./aliyun-provider.js";

/** One verification SMS to send. */
export interface SmsMessage {
  areaCode: string;
  phone: string;
  code: string;
  purpose: "register" | "reset_password" | "login";
}

/** Sends verification codes; each provider (console, Aliyun, ...) implements this. */
export interface SmsProvider {
  readonly name: string;
  /** Resolves with the provider's message id; rejects when the provider refused or could not be reached. */
  send(message: SmsMessage): Promise<{ messageId: string }>;
}

/** The default provider for development: writes the code to the log instead of sending it. */
export class ConsoleSmsProvider implements SmsProvider {
  readonly name = "console";
  constructor(private readonly logger: Logger) {}

  async send(message: SmsMessage): Promise<{ messageId: string }> {
    this.logger.warn(
      { areaCode: message.areaCode, phone: message.phone, purpose: message.purpose, smsCode: message.code },
      "SMS not sent (console provider): verification code",
    );
    return { messageId: `console-${Date.now()}` };
  }
}

export function createSmsProvider(config: ApiConfig, logger: Logger): SmsProvider {
  if (config.API_SMS_PROVIDER === "aliyun") {
    return new AliyunSmsProvider({
      accessKeyId: config.ALIYUN_SMS_ACCESS_KEY_ID ?? "",
      accessKeySecret: config.ALIYUN_SMS_ACCESS_KEY_SECRET ?? "",
      signName: config.ALIYUN_SMS_SIGN_NAME ?? "",
      templateCode: config.ALIYUN_SMS_TEMPLATE_CODE ?? "",
      endpoint: config.ALIYUN_SMS_ENDPOINT,
    });
  }
  return new ConsoleSmsProvider(logger);
}
