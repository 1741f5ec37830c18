import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { parseCommand, readHeader, splitMessages, type WireCommand } from "./mongo-wire.js";

/**
 * Which way bytes travel through the proxy: `upstream` from the app to the server (requests), `downstream`
 * from the server back to the app (replies).
 */
export type ProxyDirection = "upstream" | "downstream" | "both";

/** What happens to a MongoDB command a rule matches. */
export type CommandAction =
  /** Both sockets of that connection are destroyed before the command is forwarded: it never runs. */
  | "cut"
  /** The command is forwarded and runs; its reply is dropped and the connection destroyed instead. */
  | "cut-before-reply"
  /** The command (and everything after it on that connection) is forwarded only after `holdMs`. */
  | { holdMs: number };

/** A rule on MongoDB commands: the first `times` commands named `command` on a matching collection. */
export interface CommandRule {
  /** The command name, the first key of the OP_MSG body, e.g. "insert", "update", "find". */
  command: string;
  /** Only commands on a collection whose name matches, e.g. /^msgs_/. Any collection by default. */
  collection?: RegExp;
  action: CommandAction;
  /** How many matching commands the rule acts on before it stops. @default 1 */
  times?: number;
}

/** A rule installed on a proxy, with events a test can await instead of sleeping. */
export interface CommandFault {
  /** Matching commands acted on so far. */
  readonly hits: number;
  /** Resolves with the first command the rule acted on. */
  readonly matched: Promise<WireCommand>;
  /** Resolves when the first acted-on command was forwarded after its hold, or its connection cut. */
  readonly done: Promise<void>;
  /** Stops the rule from acting on further commands. */
  remove(): void;
}

export interface TcpProxyOptions {
  /** Port of the real server (FerretDB, Redis, ...) on `targetHost`. */
  targetPort: number;
  /** @default "127.0.0.1" */
  targetHost?: string;
  /** Port the proxy listens on. @default a free port */
  port?: number;
  /**
   * "mongodb" parses the MongoDB wire protocol in both directions so command rules can act per message;
   * "tcp" forwards bytes as they come. @default "tcp"
   */
  protocol?: "tcp" | "mongodb";
}

interface InstalledRule {
  rule: CommandRule;
  hits: number;
  removed: boolean;
  onMatch: (command: WireCommand) => void;
  onDone: () => void;
}

type OneWay = "upstream" | "downstream";

/** One proxied connection: the app's socket, the server's socket and an ordered queue per direction. */
class Link {
  /** Bytes of an incomplete wire message, per direction (mongodb protocol only). */
  readonly partial: Record<OneWay, Buffer> = { upstream: Buffer.alloc(0), downstream: Buffer.alloc(0) };
  readonly queue: Record<OneWay, Promise<void>> = { upstream: Promise.resolve(), downstream: Promise.resolve() };
  readonly queued: Record<OneWay, number> = { upstream: 0, downstream: 0 };
  /** requestIDs of commands whose reply must be dropped (and the connection cut) when it arrives. */
  readonly cutOnReply = new Map<number, () => void>();
  /** A blackholed direction swallowed bytes: the stream cannot continue after the window. */
  swallowed = false;
  closed = false;

  constructor(
    readonly client: Socket,
    readonly server: Socket,
  ) {}

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.server.destroy();
  }

  /** The socket bytes travelling in `direction` are written to. */
  sink(direction: OneWay): Socket {
    return direction === "upstream" ? this.server : this.client;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fault-injecting TCP proxy for tests, between an app process and a real server (FerretDB, Redis): point
 * the app's MONGO_URL or REDIS_URL at `proxy.port`, then cut connections, make the server unreachable for a
 * while, delay traffic per direction, or (protocol "mongodb") cut or hold chosen commands such as "the first
 * insert into a collection matching /^msgs_/". Listens on 127.0.0.1. Every fault is real TCP behaviour the
 * app's driver sees (reset, silence, latency); nothing is mocked.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly links = new Set<Link>();
  /** Connections accepted during a blackhole: held open, never forwarded, destroyed when it ends. */
  private readonly hung = new Set<Socket>();
  private readonly rules: InstalledRule[] = [];
  private readonly delays: Record<OneWay, number> = { upstream: 0, downstream: 0 };
  private readonly blackholeUntil: Record<OneWay, number> = { upstream: 0, downstream: 0 };
  private refuseUntil = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly protocol: "tcp" | "mongodb";
  /** Every MongoDB command seen going upstream, in order (protocol "mongodb"; capped at the last 10,000). */
  readonly commands: WireCommand[] = [];
  /** Connections accepted so far (refused and hung ones included). */
  accepted = 0;
  port = 0;

  private constructor(private readonly options: TcpProxyOptions) {
    this.protocol = options.protocol ?? "tcp";
    this.server = createServer((client) => this.accept(client));
  }

  /** Starts a proxy to `options.targetPort` and resolves once it listens. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  /** `scheme://127.0.0.1:<proxy port><path>`, e.g. url("mongodb", "/im_test") or url("redis"). */
  url(scheme: string, path = ""): string {
    return `${scheme}://127.0.0.1:${this.port}${path}`;
  }

  /** Connections currently open through the proxy (forwarding ones; hung ones not counted). */
  get openConnections(): number {
    return this.links.size;
  }

  /** Destroys every open connection now (both sides see the connection drop). Returns how many. */
  cut(): number {
    const count = this.links.size + this.hung.size;
    for (const link of [...this.links]) link.destroy();
    for (const socket of [...this.hung]) socket.destroy();
    return count;
  }

  /**
   * The server becomes unreachable for `ms`: open connections are cut and new ones are reset at once
   * (as a stopped server's closed port would). Resolves when the window ends.
   */
  refuse(ms: number): Promise<void> {
    this.refuseUntil = Date.now() + ms;
    this.cut();
    return this.after(ms, () => {});
  }

  /**
   * The server goes silent for `ms` (a network partition): with "both", open connections are cut and new
   * ones are accepted but nothing is forwarded (the app waits on its own timeouts) and they are destroyed
   * when the window ends. With one direction, bytes travelling that way are swallowed for `ms` and every
   * connection that lost bytes is destroyed when the window ends. Resolves when the window ends.
   */
  blackhole(ms: number, direction: ProxyDirection = "both"): Promise<void> {
    const until = Date.now() + ms;
    for (const one of this.directions(direction)) this.blackholeUntil[one] = until;
    if (direction === "both") this.cut();
    return this.after(ms, () => {
      for (const socket of [...this.hung]) socket.destroy();
      for (const link of [...this.links]) if (link.swallowed) link.destroy();
    });
  }

  /** Delays every chunk (or wire message) travelling `direction` by `ms` from now on; 0 removes the delay. */
  delay(ms: number, direction: ProxyDirection = "both"): void {
    for (const one of this.directions(direction)) this.delays[one] = Math.max(0, ms);
  }

  /** Ends every refuse, blackhole and delay now (command rules stay). */
  heal(): void {
    this.refuseUntil = 0;
    this.blackholeUntil.upstream = 0;
    this.blackholeUntil.downstream = 0;
    this.delays.upstream = 0;
    this.delays.downstream = 0;
    for (const socket of [...this.hung]) socket.destroy();
  }

  /** Installs a rule on MongoDB commands (needs protocol "mongodb"). */
  onCommand(rule: CommandRule): CommandFault {
    if (this.protocol !== "mongodb") throw new Error("command rules need a proxy started with protocol: 'mongodb'");
    let onMatch: (command: WireCommand) => void = () => {};
    let onDone: () => void = () => {};
    const matched = new Promise<WireCommand>((resolve) => {
      onMatch = resolve;
    });
    const done = new Promise<void>((resolve) => {
      onDone = resolve;
    });
    const installed: InstalledRule = { rule, hits: 0, removed: false, onMatch, onDone };
    this.rules.push(installed);
    return {
      get hits() {
        return installed.hits;
      },
      matched,
      done,
      remove: () => {
        installed.removed = true;
      },
    };
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private directions(direction: ProxyDirection): OneWay[] {
    return direction === "both" ? ["upstream", "downstream"] : [direction];
  }

  private after(ms: number, then: () => void): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        then();
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.setNoDelay(true);
    const now = Date.now();
    if (now < this.refuseUntil) {
      client.resetAndDestroy();
      return;
    }
    if (now < this.blackholeUntil.upstream && now < this.blackholeUntil.downstream) {
      this.hung.add(client);
      client.on("data", () => {}); // read and forget
      client.once("close", () => this.hung.delete(client)).once("error", () => client.destroy());
      return;
    }
    client.pause();
    const server = connect({ port: this.options.targetPort, host: this.options.targetHost ?? "127.0.0.1" });
    server.setNoDelay(true);
    const link = new Link(client, server);
    this.links.add(link);
    const close = () => {
      link.destroy();
      this.links.delete(link);
    };
    client.once("close", close).once("error", close);
    server.once("close", close).once("error", close);
    server.once("connect", () => {
      if (link.closed) return;
      client.on("data", (chunk: Buffer) => this.receive(link, "upstream", chunk));
      server.on("data", (chunk: Buffer) => this.receive(link, "downstream", chunk));
      client.resume();
    });
  }

  private receive(link: Link, direction: OneWay, chunk: Buffer): void {
    if (link.closed) return;
    if (this.protocol === "tcp") {
      this.forward(link, direction, chunk, 0);
      return;
    }
    let split: { messages: Buffer[]; rest: Buffer };
    try {
      split = splitMessages(Buffer.concat([link.partial[direction], chunk]));
    } catch {
      link.destroy(); // not MongoDB: nothing sensible to forward
      return;
    }
    link.partial[direction] = Buffer.from(split.rest);
    for (const message of split.messages) {
      if (link.closed) return;
      if (direction === "upstream") this.request(link, Buffer.from(message));
      else this.reply(link, Buffer.from(message));
    }
  }

  private request(link: Link, message: Buffer): void {
    const command = parseCommand(message);
    if (command) {
      this.commands.push(command);
      if (this.commands.length > 10_000) this.commands.splice(0, this.commands.length - 10_000);
    }
    const installed = command ? this.matchRule(command) : undefined;
    if (!command || !installed) {
      this.forward(link, "upstream", message, 0);
      return;
    }
    installed.hits += 1;
    const first = installed.hits === 1;
    if (first) installed.onMatch(command);
    const done = () => {
      if (first) installed.onDone();
    };
    const { action } = installed.rule;
    if (action === "cut") {
      link.destroy();
      done();
    } else if (action === "cut-before-reply") {
      const header = readHeader(message);
      if (header) link.cutOnReply.set(header.requestId, done);
      this.forward(link, "upstream", message, 0);
    } else {
      this.forward(link, "upstream", message, action.holdMs, done);
    }
  }

  private reply(link: Link, message: Buffer): void {
    const header = readHeader(message);
    const onCut = header ? link.cutOnReply.get(header.responseTo) : undefined;
    if (onCut) {
      link.destroy();
      onCut();
      return;
    }
    this.forward(link, "downstream", message, 0);
  }

  private matchRule(command: WireCommand): InstalledRule | undefined {
    return this.rules.find(
      (r) =>
        !r.removed &&
        r.hits < (r.rule.times ?? 1) &&
        r.rule.command === command.name &&
        (r.rule.collection === undefined || (command.collection !== undefined && r.rule.collection.test(command.collection))),
    );
  }

  /**
   * Writes `bytes` to the other side after the direction's delay plus `holdMs`, keeping the order of the
   * connection's bytes: a held message holds everything after it on that connection.
   */
  private forward(link: Link, direction: OneWay, bytes: Buffer, holdMs: number, written?: () => void): void {
    const wait = this.delays[direction] + holdMs;
    const write = () => {
      if (link.closed) return;
      if (Date.now() < this.blackholeUntil[direction]) {
        link.swallowed = true;
        return;
      }
      link.sink(direction).write(bytes);
    };
    if (wait === 0 && link.queued[direction] === 0) {
      write();
      written?.();
      return;
    }
    const due = Date.now() + wait;
    link.queued[direction] += 1;
    link.queue[direction] = link.queue[direction].then(async () => {
      const left = due - Date.now();
      if (left > 0) await sleep(left);
      link.queued[direction] -= 1;
      write();
      written?.();
    });
  }
}
