import type { Models } from "@im/data";
import { type Redis, reportRedisErrors } from "@im/infra";

/** Published (by the admin console, tests, scripts) after the banned words or the switch change. */
export const KEYWORDS_CHANNEL = "im:keywords:changed";

/** Tells every gateway to reload the keyword filter now (they also reload every 30 s on their own). */
export async function publishKeywordsChanged(redis: Redis): Promise<void> {
  await redis.publish(KEYWORDS_CHANNEL, String(Date.now()));
}

export interface KeywordFilterOptions {
  /** Fallback reload period, in case a change notice was missed. @default 30000 */
  reloadIntervalMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * The seed's keyword filter (三.5), held in memory by each gateway: the `notKeyword` words and the
 * `keywordFilter` switch of the client config (1 = on). It reloads when a message arrives on
 * KEYWORDS_CHANNEL (through its own subscriber connection) and every `reloadIntervalMs` as a fallback.
 * Matching is a case-insensitive substring test.
 */
export class KeywordFilter {
  private words: string[] = [];
  private enabled = false;
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly models: Pick<Models, "notKeywords" | "clientConfig">,
    private readonly redis: Redis,
    private readonly options: KeywordFilterOptions = {},
  ) {
    this.onError = options.onError ?? (() => {});
  }

  /** Loads the words and subscribes to change notices. */
  async start(): Promise<void> {
    await this.load();
    const subscriber = this.redis.duplicate();
    reportRedisErrors(subscriber, "keywords-sub");
    this.subscriber = subscriber;
    subscriber.on("message", (channel) => {
      if (channel === KEYWORDS_CHANNEL) this.reload();
    });
    subscriber.on("error", this.onError);
    await subscriber.subscribe(KEYWORDS_CHANNEL);
    // A change made while subscribing would otherwise wait for the timer.
    this.reload();
    this.timer = setInterval(() => this.reload(), this.options.reloadIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.reloading?.catch(() => undefined);
    await this.subscriber?.quit().catch(() => undefined);
  }

  /** The banned word the text contains, or undefined (always undefined while the filter is off). */
  match(text: string): string | undefined {
    if (!this.enabled || this.words.length === 0 || text === "") return undefined;
    const lower = text.toLowerCase();
    return this.words.find((word) => lower.includes(word));
  }

  get active(): { enabled: boolean; words: number } {
    return { enabled: this.enabled, words: this.words.length };
  }

  /** Reloads now; a reload asked for during one runs once more after it, so no change is missed. */
  reload(): void {
    if (this.reloading) {
      this.again = true;
      return;
    }
    this.reloading = this.load()
      .catch(this.onError)
      .finally(() => {
        this.reloading = undefined;
        if (this.again) {
          this.again = false;
          this.reload();
        }
      });
  }

  private async load(): Promise<void> {
    const [config, words] = await Promise.all([
      this.models.clientConfig.findById("client", { values: 1 }).lean(),
      this.models.notKeywords.find({}, { word: 1 }).lean(),
    ]);
    this.enabled = Number(config?.values?.keywordFilter ?? 0) === 1;
    this.words = [...new Set(words.map((w) => w.word.trim().toLowerCase()).filter((w) => w !== ""))];
  }
}
