import { hostname } from "node:os";
import { ConfigError, envInt, loadConfig } from "@im/config";
import { z } from "zod";

/** Every setting of the operator, read from environment variables (the operator chart sets them). */
export const operatorConfigSchema = z.object({
  OPERATOR_HOST: z.string().default("0.0.0.0").describe("Address /metrics, /healthz and /readyz bind"),
  OPERATOR_PORT: envInt(8080, 0, 65535).describe("Port of /metrics, /healthz and /readyz; 0 picks a free port"),
  KUBECONFIG: z
    .string()
    .optional()
    .describe("kubeconfig file; unset: the in-cluster service account (or ~/.kube/config outside a cluster)"),
  OPERATOR_WATCH_NAMESPACE: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/)
    .default("")
    .describe("Namespace whose ImClusters are reconciled; empty: all namespaces"),
  POD_NAME: z
    .string()
    .min(1)
    .default(`${hostname()}-${process.pid}`)
    .describe("This replica's identity in the leader-election Lease (the chart passes the pod name)"),
  POD_NAMESPACE: z.string().default("im-system").describe("Namespace the operator runs in (the chart passes it)"),
  OPERATOR_LEASE_NAME: z.string().min(1).default("im-operator").describe("Name of the leader-election Lease"),
  OPERATOR_LEASE_NAMESPACE: z.string().optional().describe("Namespace of the Lease; default POD_NAMESPACE"),
  OPERATOR_LEASE_DURATION_SECONDS: envInt(15, 2, 300).describe("How long a lease is valid without renewal"),
  OPERATOR_RENEW_DEADLINE_SECONDS: envInt(10, 1, 299).describe("The leader stops leading when it could not renew for this long"),
  OPERATOR_RETRY_PERIOD_SECONDS: envInt(2, 1, 60).describe("Pause between leader-election attempts"),
  OPERATOR_CONCURRENCY: envInt(2, 1, 32).describe("ImClusters reconciled at once"),
  OPERATOR_RESYNC_SECONDS: envInt(600, 10, 86_400).describe("Every ImCluster is reconciled at least this often"),
  OPERATOR_SCALE_DOWN_STEP_SECONDS: envInt(60, 1, 3600).describe(
    "A gateway Deployment's replicas go down by one pod per this many seconds (each removed gateway cuts its users)",
  ),
  OPERATOR_DASHBOARDS_DIR: z
    .string()
    .optional()
    .describe("Folder of the Grafana dashboards shipped as a ConfigMap; default the image's copy"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("pino log level"),
});

export type OperatorConfig = z.output<typeof operatorConfigSchema>;

export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const config = loadConfig(operatorConfigSchema, env, { ownPrefixes: ["OPERATOR_"] });
  if (config.OPERATOR_RENEW_DEADLINE_SECONDS >= config.OPERATOR_LEASE_DURATION_SECONDS) {
    throw new ConfigError(["OPERATOR_RENEW_DEADLINE_SECONDS: must be less than OPERATOR_LEASE_DURATION_SECONDS"]);
  }
  return config;
}
