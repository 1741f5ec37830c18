import { Counter, Gauge, Histogram, type Registry } from "@im/telemetry";

/** The operator's Prometheus metrics (served on /metrics with the default process metrics). */
export function createOperatorMetrics(registry: Registry, state: { isLeader(): boolean; queueDepth(): number; clusters(): number }) {
  const registers = [registry];
  new Gauge({
    name: "im_operator_leader",
    help: "1 while this replica holds the leader-election lease and reconciles, else 0",
    registers,
    collect() {
      this.set(state.isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: "im_operator_queue_depth",
    help: "ImCluster keys waiting in the work queue",
    registers,
    collect() {
      this.set(state.queueDepth());
    },
  });
  new Gauge({
    name: "im_operator_imclusters",
    help: "ImCluster objects this replica's informer sees",
    registers,
    collect() {
      this.set(state.clusters());
    },
  });
  return {
    reconciles: new Counter({
      name: "im_operator_reconcile_total",
      help: "Reconciles by outcome (success, requeue, error)",
      labelNames: ["outcome"],
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: "im_operator_reconcile_duration_seconds",
      help: "Duration of one reconcile",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    watchRestarts: new Counter({
      name: "im_operator_watch_restarts_total",
      help: "Watch streams ended, by resource and reason (closed: resumed from the last resourceVersion; gone: 410, relisted; error: retried)",
      labelNames: ["resource", "reason"],
      registers,
    }),
    leaderTransitions: new Counter({
      name: "im_operator_leader_transitions_total",
      help: "Times this replica started or stopped leading",
      labelNames: ["event"],
      registers,
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
