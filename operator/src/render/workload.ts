import type { ImClusterSpec } from "../spec/imcluster.js";
import { placementPodFields } from "../spec/placement.js";
import type { ComponentContext, ComponentDefinition, ComponentSpecView } from "./components.js";
import { configHash } from "./config-hash.js";
import type { EnvVar, KubeObject, Volume } from "./kube-object.js";
import { childMeta, configHashAnnotation, labels, type Owner, selectorLabels } from "./metadata.js";
import { connectedServices, dependencyEnv, mergeEnv } from "./settings.js";

/** What a component's pods consume besides the spec: the platform ConfigMap and its Secrets' versions. */
export interface WorkloadInputs {
  configMapName: string;
  settings: Record<string, string>;
  secretVersions: Record<string, string>;
  /** MEDIA_PUBLIC_URL of this cluster (settings.ts mediaPublicUrl). */
  mediaPublicUrl: string;
  /** The cluster hibernates: every Deployment at 0 replicas (render.ts isHibernating). */
  hibernating?: boolean;
}

/** The container environment of a component: ConfigMap settings, Secret-backed URLs, its own variables, extraEnv last. */
export function componentEnv(
  spec: ImClusterSpec,
  component: ComponentDefinition,
  section: ComponentSpecView,
  inputs: WorkloadInputs,
): EnvVar[] {
  const context: ComponentContext = { ingressEnabled: spec.ingress.enabled, mediaPublicUrl: inputs.mediaPublicUrl, push: spec.push };
  const settings = Object.keys(inputs.settings).map((key) => ({
    name: key,
    valueFrom: { configMapKeyRef: { name: inputs.configMapName, key } },
  }));
  return mergeEnv(
    settings,
    dependencyEnv(spec, connectedServices(spec, component.needs, component.uses)),
    component.env(section, context),
    section.extraEnv,
  );
}

/**
 * sha256 of exactly what a component consumes: the settings it reads from the ConfigMap, its environment
 * (literal values and references) and the versions of the Secrets it references (when the operator knows them).
 */
export function componentConfigHash(env: EnvVar[], inputs: WorkloadInputs, volumes: Volume[] = []): string {
  const settings: Record<string, string | undefined> = {};
  for (const variable of env) {
    const fromMap = variable.valueFrom?.configMapKeyRef;
    if (fromMap?.name === inputs.configMapName) settings[fromMap.key] = inputs.settings[fromMap.key];
  }
  const secrets = referencedSecretVersions(env, inputs, volumes);
  return configHash(volumes.length > 0 ? { env, settings, secrets, volumes } : { env, settings, secrets });
}

/**
 * Deployment annotation: JSON object of the Secrets the component's pods reference → the resourceVersion its
 * config hash was computed with (only known ones). While a Secret is missing the operator hashes its last known
 * version from here, so deleting a Secret alone never rolls pods that could not start.
 */
export const secretVersionsAnnotation = "im.platform.io/secret-versions";

/** Secrets a component references (env secretKeyRef, Secret volumes) → their version in inputs (undefined: unknown). */
export function referencedSecretVersions(
  env: EnvVar[],
  inputs: WorkloadInputs,
  volumes: Volume[] = [],
): Record<string, string | undefined> {
  const secrets: Record<string, string | undefined> = {};
  for (const volume of volumes) {
    if (volume.secret) secrets[volume.secret.secretName] = inputs.secretVersions[volume.secret.secretName];
  }
  for (const variable of env) {
    const fromSecret = variable.valueFrom?.secretKeyRef;
    if (fromSecret) secrets[fromSecret.name] = inputs.secretVersions[fromSecret.name];
  }
  return secrets;
}

/** The container image: registry/repository@digest when a digest pins it, else registry/repository:(tag or version). */
export function imageReference(image: ImClusterSpec["image"], version: string): string {
  const base = `${image.registry}/${image.repository}`;
  return image.digest ? `${base}@${image.digest}` : `${base}:${image.tag ?? version}`;
}

/**
 * The Deployment of a component. With autoscaling on, spec.replicas is left out: the HPA owns it once
 * controller/replicas.ts has handed it over. Hibernating: 0 replicas.
 */
export function deployment(
  owner: Owner,
  spec: ImClusterSpec,
  component: ComponentDefinition,
  section: ComponentSpecView,
  inputs: WorkloadInputs,
): KubeObject {
  const env = componentEnv(spec, component, section, inputs);
  const files = component.files?.(section) ?? { volumes: [], mounts: [] };
  const probe = (path: string) => ({ httpGet: { path, port: component.portName } });
  const image = imageReference(spec.image, spec.version);
  const podSpec: Record<string, unknown> = {
    automountServiceAccountToken: false,
    // Service links would add variables such as <SERVICE>_PORT, which the apps' prefix checks reject.
    enableServiceLinks: false,
    terminationGracePeriodSeconds: component.terminationGracePeriodSeconds,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
  };
  // Mounted credentials are group-readable only: the volumes' files belong to group 1000.
  if (files.volumes.length > 0) (podSpec.securityContext as Record<string, unknown>).fsGroup = 1000;
  if (spec.image.pullSecrets.length > 0) podSpec.imagePullSecrets = spec.image.pullSecrets.map((name) => ({ name }));
  if (section.nodeSelector) podSpec.nodeSelector = section.nodeSelector;
  if (section.tolerations) podSpec.tolerations = section.tolerations;
  Object.assign(podSpec, placementPodFields(section, selectorLabels(owner, component.name), component.defaultSpread));
  podSpec.containers = [
    {
      name: component.name,
      image,
      imagePullPolicy: spec.image.pullPolicy,
      command: ["node", component.entrypoint],
      ports: [{ name: component.portName, containerPort: component.port, protocol: "TCP" }],
      env,
      resources: section.resources,
      startupProbe: { ...probe(component.probes.liveness), periodSeconds: 2, failureThreshold: 60 },
      readinessProbe: { ...probe(component.probes.readiness), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { ...probe(component.probes.liveness), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...files.mounts],
    },
  ];
  podSpec.volumes = [{ name: "tmp", emptyDir: {} }, ...files.volumes];

  const deploymentSpec: Record<string, unknown> = {};
  if (inputs.hibernating) deploymentSpec.replicas = 0;
  else if (!section.autoscaling?.enabled) deploymentSpec.replicas = section.replicas;
  Object.assign(deploymentSpec, {
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorLabels(owner, component.name) },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
    template: {
      metadata: {
        labels: labels(owner, component.name),
        annotations: { ...section.podAnnotations, [configHashAnnotation]: componentConfigHash(env, inputs, files.volumes) },
      },
      spec: podSpec,
    },
  });
  const known = Object.entries(referencedSecretVersions(env, inputs, files.volumes))
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const annotations = known.length > 0 ? { [secretVersionsAnnotation]: JSON.stringify(Object.fromEntries(known)) } : undefined;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(owner, component.name, component.name, annotations ? { annotations } : {}),
    spec: deploymentSpec,
  };
}

/** Service port on which client-facing components expose their /metrics (the container serves it on its one port). */
export const metricsServicePort = 9090;

/** The ClusterIP Service of a component: `http` for clients (when it has one) and `metrics` for Prometheus. */
export function service(owner: Owner, component: ComponentDefinition): KubeObject {
  const ports =
    component.portName === "http"
      ? [
          { name: "http", port: component.port, targetPort: "http", protocol: "TCP" },
          { name: "metrics", port: metricsServicePort, targetPort: "http", protocol: "TCP" },
        ]
      : [{ name: "metrics", port: component.port, targetPort: "metrics", protocol: "TCP" }];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMeta(owner, component.name, component.name),
    spec: { type: "ClusterIP", selector: selectorLabels(owner, component.name), ports },
  };
}
