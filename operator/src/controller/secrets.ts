import type { KubeObject } from "../render/kube-object.js";
import { secretVersionsAnnotation } from "../render/workload.js";

interface SecretUse {
  name: string;
  /** The pod starts without it (secretKeyRef.optional / secret volume optional). */
  optional: boolean;
}

interface PodTemplateView {
  spec?: {
    template?: {
      spec?: {
        containers?: Array<{
          env?: Array<{ valueFrom?: { secretKeyRef?: { name?: string; optional?: boolean } } }>;
          envFrom?: Array<{ secretRef?: { name?: string; optional?: boolean } }>;
        }>;
        volumes?: Array<{ secret?: { secretName?: string; optional?: boolean } }>;
      };
    };
  };
}

/** Every Secret a Deployment's pods read (env secretKeyRef, envFrom secretRef, secret volumes), with whether it is optional. */
function secretUses(deployment: KubeObject): SecretUse[] {
  const pod = (deployment as PodTemplateView).spec?.template?.spec;
  const uses: SecretUse[] = [];
  for (const container of pod?.containers ?? []) {
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref?.name) uses.push({ name: ref.name, optional: ref.optional === true });
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) uses.push({ name: from.secretRef.name, optional: from.secretRef.optional === true });
    }
  }
  for (const volume of pod?.volumes ?? []) {
    if (volume.secret?.secretName) uses.push({ name: volume.secret.secretName, optional: volume.secret.optional === true });
  }
  return uses;
}

/** Names of the Secrets a Deployment's pods read, without duplicates (a change of one rolls that Deployment). */
export function referencedSecrets(deployment: KubeObject): string[] {
  return [...new Set(secretUses(deployment).map((use) => use.name))];
}

/**
 * Names of the Secrets a Deployment's pods need (not optional) that are not in `existing` (sorted, no
 * duplicates): such pods stay in CreateContainerConfigError (env) or ContainerCreating (volume) until they exist.
 */
export function missingSecrets(deployment: KubeObject, existing: ReadonlyMap<string, string>): string[] {
  const missing = secretUses(deployment)
    .filter((use) => !use.optional && !existing.has(use.name))
    .map((use) => use.name);
  return [...new Set(missing)].sort();
}

/**
 * The Secret versions render hashes with: the informer's, plus, for a Secret that no longer exists, the last
 * version a live Deployment recorded in its secretVersionsAnnotation. So deleting a Secret alone changes no
 * config hash (no rollout of pods that could not start: CreateContainerConfigError) while any other template
 * change still rolls; the Secret's return (a new resourceVersion) rolls its readers.
 */
export function hashedSecretVersions(current: ReadonlyMap<string, string>, liveDeployments: readonly KubeObject[]): Record<string, string> {
  const versions: Record<string, string> = Object.fromEntries(current);
  for (const deployment of liveDeployments) {
    const recorded = deployment.metadata.annotations?.[secretVersionsAnnotation];
    if (!recorded) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(recorded);
    } catch {
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) continue;
    for (const [name, version] of Object.entries(parsed)) {
      if (typeof version === "string" && !current.has(name) && versions[name] === undefined) versions[name] = version;
    }
  }
  return versions;
}
