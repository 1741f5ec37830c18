import type { KubeObject } from "../render/kube-object.js";

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
