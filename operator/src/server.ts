import { orderedClose, Readiness, startHealthServer } from "@im/service";
import { createLogger, createMetricsRegistry, type Logger } from "@im/telemetry";
import { KubeConfig } from "@kubernetes/client-node";
import type { OperatorConfig } from "./config.js";
import { Controller } from "./controller/controller.js";
import { KubeClient } from "./kube/client.js";
import { createOperatorMetrics } from "./metrics.js";
import { loadDashboards } from "./render/dashboard-files.js";
import { LeaderElector } from "./runtime/leader-election.js";

export interface RunningOperator {
  readonly url: string;
  isLeader(): boolean;
  /** Graceful shutdown: stop reconciling (in-flight reconciles finish), release the lease, close /metrics. */
  close(): Promise<void>;
  /** Resolves when leadership was lost; the process should exit so it restarts as a candidate. */
  readonly lost: Promise<void>;
}

function kubeConfig(config: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.KUBECONFIG) kc.loadFromFile(config.KUBECONFIG);
  else kc.loadFromDefault();
  return kc;
}

/**
 * Starts the operator: /metrics, /healthz and /readyz at once; campaigns for the lease; while leading runs
 * the controller. Only the leader reconciles, so two replicas never act at once.
 */
export async function startOperator(config: OperatorConfig, options: { logger?: Logger } = {}): Promise<RunningOperator> {
  const logger = options.logger ?? createLogger({ name: "operator", level: config.LOG_LEVEL });
  const client = new KubeClient(kubeConfig(config));
  const registry = createMetricsRegistry("operator");
  let controller: Controller | undefined;
  let starting: Promise<void> | undefined;
  let elector: LeaderElector;
  const metrics = createOperatorMetrics(registry, {
    isLeader: () => elector?.isLeader ?? false,
    queueDepth: () => controller?.queueDepth ?? 0,
    clusters: () => controller?.clusterCount ?? 0,
  });
  let dashboards: Record<string, string> | undefined;
  const dashboardsOnce = () => {
    dashboards ??= config.OPERATOR_DASHBOARDS_DIR ? loadDashboards(config.OPERATOR_DASHBOARDS_DIR) : loadDashboards();
    return dashboards;
  };
  let lostResolve!: () => void;
  const lost = new Promise<void>((resolve) => {
    lostResolve = resolve;
  });

  elector = new LeaderElector({
    client,
    namespace: config.OPERATOR_LEASE_NAMESPACE ?? config.POD_NAMESPACE,
    name: config.OPERATOR_LEASE_NAME,
    identity: config.POD_NAME,
    leaseDurationSeconds: config.OPERATOR_LEASE_DURATION_SECONDS,
    renewDeadlineSeconds: config.OPERATOR_RENEW_DEADLINE_SECONDS,
    retryPeriodSeconds: config.OPERATOR_RETRY_PERIOD_SECONDS,
    onStartedLeading: () => {
      metrics.leaderTransitions.inc({ event: "started" });
      logger.info({ identity: config.POD_NAME }, "leading: starting the controller");
      controller = new Controller({
        client,
        logger,
        metrics,
        watchNamespace: config.OPERATOR_WATCH_NAMESPACE,
        concurrency: config.OPERATOR_CONCURRENCY,
        resyncSeconds: config.OPERATOR_RESYNC_SECONDS,
        scaleDownStepSeconds: config.OPERATOR_SCALE_DOWN_STEP_SECONDS,
        dashboards: dashboardsOnce,
      });
      starting = controller.start().catch((error) => {
        logger.error({ err: error }, "controller failed to start");
        lostResolve();
      });
    },
    onStoppedLeading: () => {
      metrics.leaderTransitions.inc({ event: "stopped" });
      logger.warn("lost the lease: stopping the controller");
      const stopping = controller;
      controller = undefined;
      void stopping?.stop().finally(() => lostResolve());
      if (!stopping) lostResolve();
    },
    onNewLeader: (identity) => logger.info({ leader: identity }, "leader observed"),
    onError: (error) => logger.warn({ err: error }, "leader election request failed"),
  });

  const readiness = new Readiness();
  const health = await startHealthServer({
    registry,
    ready: () => readiness.isReady(),
    details: () => ({ leader: elector.isLeader }),
    host: config.OPERATOR_HOST,
    port: config.OPERATOR_PORT,
  });
  elector.start();
  logger.info({ port: health.port, identity: config.POD_NAME }, "operator started; campaigning for the lease");

  return {
    url: health.url,
    isLeader: () => elector.isLeader,
    lost,
    close: orderedClose(
      [
        { name: "readiness", run: () => readiness.drain() },
        {
          name: "controller",
          run: async () => {
            await starting;
            const running = controller;
            controller = undefined;
            await running?.stop();
          },
        },
        { name: "lease", run: () => elector.release() },
        { name: "health server", run: () => health.close() },
      ],
      logger,
    ),
  };
}
