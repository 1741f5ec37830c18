import { Counter, Gauge, Histogram, type Registry } from "@im/telemetry";
import { imClusterStatusSchema } from "./spec/status.js";

/** What the operator's gauges read at scrape time. */
export interface OperatorState {
  isLeader(): boolean;
  queueDepth(): number;
  clusters(): number;
  /** Each ImCluster's status as the leader's informer last saw it (empty on a standby replica). */
  clusterStatuses?(): Array<{ namespace: string; name: string; status: unknown }>;
}

/**
 * The operator's Prometheus metrics (served on /metrics with the default process metrics), including per
 * ImCluster: `im_operator_imcluster_condition{namespace,name,type,status}` (1 for the condition's current
 * status, 0 for the other two, as kube-state-metrics does for pods), `im_operator_imcluster_replicas
 * {namespace,name,component,state=desired|ready|updated}` and `im_operator_reconcile_errors_total{namespace,name}`.
 * Read from the ImClusters' status at scrape time, so a deleted ImCluster's series disappear.
 */
export function createOperatorMetrics(registry: Registry, state: OperatorState) {
  const registers = [registry];
  const statuses = () =>
    (state.clusterStatuses?.() ?? []).flatMap(({ namespace, name, status }) => {
      const parsed = imClusterStatusSchema.safeParse(status);
      return parsed.success ? [{ namespace, name, status: parsed.data }] : [];
    });
  new Gauge({
    name: "im_operator_imcluster_condition",
    help: "1 when the ImCluster's condition of this type has this status (True, False, Unknown), else 0",
    labelNames: ["namespace", "name", "type", "status"],
    registers,
    collect() {
      this.reset();
      for (const { namespace, name, status } of statuses()) {
        for (const condition of status.conditions ?? []) {
          for (const value of ["True", "False", "Unknown"]) {
            this.set({ namespace, name, type: condition.type, status: value }, condition.status === value ? 1 : 0);
          }
        }
      }
    },
  });
  new Gauge({
    name: "im_operator_imcluster_replicas",
    help: "Pods of an ImCluster component: desired (Deployment, autoscaler or spec), ready and updated (current template)",
    labelNames: ["namespace", "name", "component", "state"],
    registers,
    collect() {
      this.reset();
      for (const { namespace, name, status } of statuses()) {
        for (const [component, c] of Object.entries(status.components ?? {})) {
          this.set({ namespace, name, component, state: "desired" }, c.desiredReplicas);
          this.set({ namespace, name, component, state: "ready" }, c.readyReplicas);
          this.set({ namespace, name, component, state: "updated" }, c.updatedReplicas);
        }
      }
    },
  });
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
    reconcileErrors: new Counter({
      name: "im_operator_reconcile_errors_total",
      help: "Reconciles of an ImCluster that failed (retried with backoff)",
      labelNames: ["namespace", "name"],
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
