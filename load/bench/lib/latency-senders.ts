// Room senders of the push benchmark in a process of their own (forked by push.ts), so their receipt latency
// is not measured through the bench process's event loop, which also runs the provider stub and the API.
// IPC: {type: "connect", url, tokens} → {type: "connected"}; {type: "run", roomId, messages, gapMs, tag} →
// {type: "latencies", ms: number[]}; {type: "exit"}.
import { setTimeout as sleep } from "node:timers/promises";
import { ImClient } from "@im/client";
import { chatTypes, messageType } from "@im/protocol";

/** A request from the bench. */
export type SenderRequest =
  | { type: "connect"; url: string; tokens: string[] }
  | { type: "run"; roomId: string; messages: number; gapMs: number; tag: string }
  | { type: "exit" };

/** A reply to the bench. */
export type SenderReply = { type: "started" } | { type: "connected" } | { type: "latencies"; ms: number[] };

const clients: ImClient[] = [];
const reply = (message: SenderReply) => process.send?.(message);
const epochMs = () => performance.timeOrigin + performance.now();

async function handle(request: SenderRequest): Promise<void> {
  if (request.type === "connect") {
    for (const token of request.tokens) {
      const client = new ImClient({ url: request.url, token, resource: "web" });
      await client.connect();
      clients.push(client);
    }
    reply({ type: "connected" });
  } else if (request.type === "run") {
    const samples = await Promise.all(
      clients.map(async (client, s) => {
        const own: number[] = [];
        for (let m = 0; m < request.messages; m++) {
          const started = epochMs();
          await client.send({
            chatType: chatTypes.group,
            to: request.roomId,
            type: messageType.text,
            content: `latency ${request.tag}.${s}.${m}`,
          });
          own.push(epochMs() - started);
          await sleep(request.gapMs);
        }
        return own;
      }),
    );
    reply({ type: "latencies", ms: samples.flat() });
  } else {
    for (const client of clients) client.close();
    process.exit(0);
  }
}

process.on("message", (request: SenderRequest) => {
  handle(request).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
reply({ type: "started" });
