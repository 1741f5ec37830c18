import { platformSettings } from "@im/config";
import { z } from "zod";
import { apiVersion, kind } from "../crd/constants.js";
import { components } from "../render/components.js";
import { annotationMap, dataKey, labelMap, objectName } from "./common.js";
import { imClusterStatusSchema } from "./status.js";

const imageSchema = z
  .object({
    registry: z
      .string()
      .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, "must be a registry host, optionally with a port and path")
      .default("ghcr.io")
      .describe("Registry host (and optional path prefix)"),
    repository: z
      .string()
      .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, "must be an image repository path")
      .default("im-platform/im-platform")
      .describe("Repository of the platform image (one image holds every app)"),
    tag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be an image tag")
      .optional()
      .describe("Image tag; defaults to spec.version"),
    digest: z
      .string()
      .regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 lowercase hex digits>")
      .optional()
      .describe("Image digest (sha256:...); when set the pods run repository@digest and tag is not used"),
    pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent").describe("When the kubelet pulls the image"),
    pullSecrets: z.array(objectName).max(10).default([]).describe("Names of docker-registry Secrets used to pull the image"),
  })
  .prefault({})
  .describe("Container image of the platform");

const secretRef = (what: string, defaultKey: string) =>
  z
    .object({
      secretName: objectName.describe(`Secret holding the ${what}`),
      key: dataKey.default(defaultKey).describe(`Key of the ${what} inside the Secret`),
    })
    .describe(`${what} (from a Secret)`);

const publicEndpointRule = {
  rule: "!has(self.publicEndpoint) || !has(self.publicEndpointKey)",
  message: "give publicEndpoint or publicEndpointKey, not both",
  fieldPath: ".publicEndpointKey",
};

const objectStorageSchema = z
  .object({
    secretName: objectName.describe("Secret holding the object storage settings"),
    endpointKey: dataKey.default("endpoint").describe("Key of the S3 endpoint URL the apps reach (S3_ENDPOINT, internal address)"),
    bucketKey: dataKey.default("bucket").describe("Key of the bucket name (S3_BUCKET)"),
    accessKeyIdKey: dataKey.default("accessKeyId").describe("Key of the access key id (S3_ACCESS_KEY_ID)"),
    secretAccessKeyKey: dataKey.default("secretAccessKey").describe("Key of the secret access key (S3_SECRET_ACCESS_KEY)"),
    publicEndpoint: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/?#]+\/?$/, "must be an http(s) URL of a host, e.g. https://media.example.com")
      .optional()
      .describe(
        "S3 endpoint clients reach (S3_PUBLIC_ENDPOINT): presigned download and multipart URLs are signed for it; default: the internal endpoint",
      ),
    publicEndpointKey: dataKey.optional().describe("Key of the public S3 endpoint in the Secret, instead of publicEndpoint"),
    region: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("S3 region requests are signed for (S3_REGION); the apps' default us-east-1 when unset"),
  })
  .refine((storage) => storage.publicEndpoint === undefined || storage.publicEndpointKey === undefined, {
    message: publicEndpointRule.message,
    path: ["publicEndpointKey"],
  })
  .meta({ "x-kubernetes-validations": [publicEndpointRule] })
  .describe(
    "S3-compatible object storage (from a Secret); the upload app runs only when it is set, the scheduler deletes expired media there",
  );

const hostName = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
    "must be a fully qualified DNS name such as im.example.com",
  );

const ingressRule = {
  rule: "!has(self.enabled) || !self.enabled || has(self.host)",
  message: "host is required when the ingress is enabled",
  fieldPath: ".host",
};

const ingressSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Expose the client-facing components through Ingress objects"),
    host: hostName.optional().describe("Public host name (required when enabled)"),
    className: objectName.optional().describe("IngressClass to use (e.g. nginx); the cluster default when unset"),
    tlsSecretName: objectName.optional().describe("Secret with the TLS certificate for host; plain HTTP when unset"),
    annotations: annotationMap.optional().describe("Annotations added to every Ingress (e.g. cert-manager.io/cluster-issuer)"),
    proxyReadTimeoutSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(3600)
      .describe("ingress-nginx proxy-read-timeout on WebSocket paths; idle sockets are cut after this long"),
    proxySendTimeoutSeconds: z.int().min(1).max(86_400).default(3600).describe("ingress-nginx proxy-send-timeout on WebSocket paths"),
    proxyBodySizeMegabytes: z.int().min(1).max(1024).default(8).describe("ingress-nginx proxy-body-size: largest request body"),
  })
  .refine((ingress) => !ingress.enabled || ingress.host !== undefined, { message: ingressRule.message, path: ["host"] })
  .meta({ "x-kubernetes-validations": [ingressRule] })
  .prefault({})
  .describe("Ingress (networking.k8s.io/v1) for the API, the gateway and the upload app; annotations target ingress-nginx");

const observabilitySchema = z
  .object({
    serviceMonitor: z
      .object({
        enabled: z.boolean().default(false).describe("Create a ServiceMonitor (needs the Prometheus Operator CRDs)"),
        interval: z
          .string()
          .regex(/^[0-9]+(ms|s|m|h)$/, "must be a Prometheus duration such as 30s")
          .default("30s")
          .describe("Scrape interval"),
        labels: labelMap.optional().describe("Labels the Prometheus serviceMonitorSelector matches (e.g. release: prometheus)"),
      })
      .prefault({})
      .describe("Prometheus scraping of every component's metrics port"),
    otlpEndpoint: z
      .string()
      .max(2048)
      // An absolute http(s) URL: the apps' z.url() refuses a bare path that the CRD's format "uri" would admit.
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an http(s) URL, e.g. http://otel-collector:4318/v1/traces")
      .optional()
      .describe(
        "OTLP/HTTP traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), e.g. http://otel-collector:4318/v1/traces; no export when unset",
      ),
    dashboards: z
      .object({
        enabled: z.boolean().default(false).describe("Create a ConfigMap of Grafana dashboards labelled grafana_dashboard=1"),
        labels: labelMap.optional().describe("Extra labels of the dashboards ConfigMap"),
      })
      .prefault({})
      .describe("Grafana dashboards for the Grafana sidecar"),
  })
  .prefault({})
  .describe("Metrics, traces and dashboards");

const configSchema = z
  .object({
    logLevel: platformSettings.LOG_LEVEL.describe("Log level of every app (LOG_LEVEL)"),
    messageWriteBatch: platformSettings.MESSAGE_WRITE_BATCH.describe(
      "Most messages written to one shard in one insertMany (MESSAGE_WRITE_BATCH; 1 = no batching)",
    ),
  })
  .prefault({})
  .describe("Platform settings every app gets as environment variables through one ConfigMap");

const migrationRule = { rule: "self.from < self.to", message: "a migration goes from fewer to more shards" };

const shardMigrationSchema = z
  .object({
    from: z.int().min(1).max(1024).describe("Shard count the data was migrated from"),
    to: z.int().min(1).max(1024).describe("Shard count the data was migrated to; must equal messageShards"),
  })
  .refine((m) => m.from < m.to, migrationRule.message)
  .meta({ "x-kubernetes-validations": [migrationRule] })
  .describe(
    "Acknowledges that the shard migration of docs/messaging.md (copy documents, update im_meta) was done; the operator then applies the new messageShards",
  );

type Sections = { [K in keyof typeof components]: (typeof components)[K]["schema"] };
const componentSections = Object.fromEntries(Object.entries(components).map(([name, component]) => [name, component.schema])) as Sections;

/** spec of an ImCluster: what the platform should look like. */
export const imClusterSpecSchema = z
  .object({
    version: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be usable as an image tag")
      .describe("Platform version; the image tag unless image.tag is set"),
    image: imageSchema,
    ...componentSections,
    mongo: secretRef("MongoDB connection string (MONGO_URL, with the database name)", "url"),
    redis: secretRef("Redis connection string (REDIS_URL)", "url"),
    objectStorage: objectStorageSchema.optional(),
    messageShards: platformSettings.MESSAGE_SHARDS.describe(
      "Message collections per kind (MESSAGE_SHARDS). Fixed after the first start: a decrease is refused, an increase needs messageShardsMigration",
    ),
    messageShardsMigration: shardMigrationSchema.optional(),
    ingress: ingressSchema,
    observability: observabilitySchema,
    config: configSchema,
  })
  .describe("Desired state of an IM platform installation");

const clusterName = z
  .string()
  .max(40)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1035 label of at most 40 characters (child names add a suffix)");

/** A whole ImCluster object as the operator reads it from the API server. */
export const imClusterSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal(kind),
  metadata: z
    .object({
      name: clusterName,
      namespace: z.string().optional(),
      uid: z.string().optional(),
      generation: z.int().optional(),
    })
    .loose(),
  spec: imClusterSpecSchema,
  status: imClusterStatusSchema.optional(),
});

/** The name rule of clusterName as a CEL rule at the root of the CRD schema. */
export const clusterNameRule = {
  rule: "self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
  message: "must be a DNS-1035 label of at most 40 characters (child names add a suffix)",
  // Without it the API server reports the root's path, "<nil>" (x-kubernetes-validations fieldPath, Kubernetes 1.28+).
  fieldPath: ".metadata.name",
  reason: "FieldValueInvalid",
};

export type ImClusterSpec = z.output<typeof imClusterSpecSchema>;
export type ImClusterSpecInput = z.input<typeof imClusterSpecSchema>;
export type ImCluster = z.output<typeof imClusterSchema>;
export type ImClusterInput = z.input<typeof imClusterSchema>;
