import type { KubeObject } from "../render/kube-object.js";
import { configHashAnnotation } from "../render/metadata.js";

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
 * A Deployment whose pods reference a Secret that does not exist keeps the config hash its live copy runs
 * with: a deleted Secret has no version, and a new hash would start a rollout of pods that cannot start
 * (CreateContainerConfigError). Other template changes still roll it; the Secret's return (a new
 * resourceVersion) rolls it too. Mutates `rendered`; no-op when there is no live copy or no hash on it.
 */
export function keepLiveConfigHash(rendered: KubeObject, live: KubeObject | undefined): void {
  type Template = { template?: { metadata?: { annotations?: Record<string, string> } } };
  const liveHash = (live?.spec as Template | undefined)?.template?.metadata?.annotations?.[configHashAnnotation];
  const annotations = (rendered.spec as Template | undefined)?.template?.metadata?.annotations;
  if (liveHash !== undefined && annotations) annotations[configHashAnnotation] = liveHash;
}
