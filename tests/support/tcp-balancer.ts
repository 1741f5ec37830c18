import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A small TCP load balancer for tests, standing in for the ingress: each new connection goes to the first
 * backend that accepts it, in order, so when a gateway dies its clients reconnect to the next one.
 */
export class TcpBalancer {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  port = 0;

  constructor(private readonly backends: number[]) {
    this.server = createServer((client) => this.route(client, 0));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  private route(client: Socket, index: number): void {
    const port = this.backends[index];
    if (port === undefined) {
      client.destroy();
      return;
    }
    client.pause();
    const upstream = connect({ port, host: "127.0.0.1" });
    upstream.once("connect", () => {
      this.open.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.open.delete(client);
        this.open.delete(upstream);
      };
      client.once("close", close).once("error", close);
      upstream.once("close", close).once("error", close);
    });
    upstream.once("error", () => {
      if (!upstream.remoteAddress) this.route(client, index + 1);
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
