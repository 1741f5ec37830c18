import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError, envInt, loadConfig } from "@im/config";
import { z } from "zod";
import { EXIT_CONFIG, type RunEnvironment, type RunningService, runService, type ServiceDefinition } from "./run-service.js";

const schema = z.object({
  DEMO_PORT: envInt(8080, 0, 65535).describe("Port"),
  DEMO_URL: z.string().default("mongodb://localhost/im").describe("Database"),
  DEMO_SECRET: z.string().optional().describe("Secret"),
  LOG_LEVEL: z.string().default("silent").describe("pino level"),
});
type DemoConfig = z.output<typeof schema>;

/** A RunEnvironment that records what runService prints and the exit code it asks for. */
function fakeEnvironment(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const io: RunEnvironment = {
    argv,
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    exit: (code) => resolveExit(code),
    signals,
  };
  return { io, out, err, signals, exited };
}

function demo(
  start: ServiceDefinition<typeof schema, DemoConfig>["start"],
  extra: Partial<ServiceDefinition<typeof schema, DemoConfig>> = {},
) {
  return {
    name: "demo",
    configSchema: schema,
    loadConfig: (env: NodeJS.ProcessEnv) => loadConfig(schema, env, { ownPrefixes: ["DEMO_"] }),
    start,
    ...extra,
  };
}

const neverStarted = async (): Promise<RunningService> => {
  throw new Error("must not start");
};

describe("runService", () => {
  it("describes, checks and prints (secrets redacted) the configuration without starting", async () => {
    const described = fakeEnvironment(["--describe-config"]);
    await runService(demo(neverStarted), described.io);
    assert.match(described.out.join("\n"), /^DEMO_PORT=8080 {2}# Port$/m);

    const checked = fakeEnvironment(["--check-config"], { DEMO_PORT: "1" });
    await runService(demo(neverStarted), checked.io);
    assert.deepEqual(checked.out, ["demo: configuration is valid"]);

    const printed = fakeEnvironment(["--print-config"], { DEMO_URL: "mongodb://u:hunter2@db/im", DEMO_SECRET: "s3cret" });
    await runService(demo(neverStarted), printed.io);
    assert.match(printed.out.join(""), /u:\*\*\*@db/);
    assert.doesNotMatch(printed.out.join(""), /hunter2|s3cret/);
  });

  it("exits with 78 naming every bad setting", async () => {
    const run = fakeEnvironment(["--check-config"], { DEMO_PORT: "x", DEMO_PROT: "1" });
    await runService(demo(neverStarted), run.io);
    assert.equal(await run.exited, EXIT_CONFIG);
    assert.match(run.err.join(""), /DEMO_PORT/);
    assert.match(run.err.join(""), /DEMO_PROT: unknown setting/);
  });

  it("exits with 78 when start finds the configuration wrong (ShardLayoutError, ConfigError), 1 for any other failure", async () => {
    for (const [name, code] of [
      ["ShardLayoutError", EXIT_CONFIG],
      ["ConfigError", EXIT_CONFIG],
      ["Error", 1],
    ] as const) {
      const run = fakeEnvironment([]);
      const failure = name === "ConfigError" ? new ConfigError(["DEMO_URL: unreachable"]) : Object.assign(new Error("layout"), { name });
      await runService(
        demo(async () => {
          throw failure;
        }),
        run.io,
      );
      assert.equal(await run.exited, code, name);
      assert.match(run.err.join(""), /^demo: /);
    }
  });

  it("on SIGTERM runs close() and exits with 0 once it resolved", async () => {
    const run = fakeEnvironment([]);
    const log: string[] = [];
    await runService(
      demo(async () => ({
        close: async () => {
          log.push("close start");
          await sleep(50);
          log.push("close end");
        },
      })),
      run.io,
    );
    run.signals.emit("SIGTERM");
    run.exited.then(() => log.push("exit"));
    assert.equal(await run.exited, 0);
    assert.deepEqual(log, ["close start", "close end", "exit"]);
  });

  it("exits with 1 when close() outlives the shutdown deadline, and at once on a second signal", async () => {
    const slow = fakeEnvironment([]);
    await runService(
      demo(async () => ({ close: () => sleep(1_000) }), { shutdownDeadlineMs: 50 }),
      slow.io,
    );
    slow.signals.emit("SIGINT");
    assert.equal(await slow.exited, 1);

    const twice = fakeEnvironment([]);
    await runService(
      demo(async () => ({ close: () => sleep(1_000) })),
      twice.io,
    );
    twice.signals.emit("SIGTERM");
    twice.signals.emit("SIGTERM");
    assert.equal(await twice.exited, 1);
  });

  it("stops with the service's own exit code when it stops on its own", async () => {
    const run = fakeEnvironment([]);
    let closed = false;
    await runService(
      demo(async () => ({
        close: async () => {
          closed = true;
        },
        stopped: sleep(10).then(() => ({ reason: "leadership lost", exitCode: 1 })),
      })),
      run.io,
    );
    assert.equal(await run.exited, 1);
    assert.ok(closed);
  });
});
