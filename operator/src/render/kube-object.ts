/** The parts of a Kubernetes object render and the operator read; the rest is the kind's own body. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  uid?: string;
  generation?: number;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/** Any Kubernetes object render produces: apiVersion, kind, metadata and a kind-specific body. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A container environment variable (core/v1 EnvVar). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

/** A pod volume (core/v1 Volume): the kinds render uses. */
export interface Volume {
  name: string;
  emptyDir?: Record<string, never>;
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number };
}

/** One key of a Secret or ConfigMap volume and its file name (core/v1 KeyToPath). */
export interface KeyToPath {
  key: string;
  path: string;
}

/** Where a container mounts a volume (core/v1 VolumeMount). */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
