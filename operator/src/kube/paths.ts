/** A resource the client addresses: group/version and plural name, namespaced or not. */
export interface ResourceRef {
  /** "v1" for core, "apps/v1", "im.platform.io/v1alpha1", ... */
  apiVersion: string;
  /** Plural resource name ("deployments"). */
  resource: string;
  namespaced: boolean;
}

/** The collection path: all namespaces when `namespace` is undefined (namespaced resources only). */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  if (!ref.namespaced || namespace === undefined) return `${base}/${ref.resource}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.resource}`;
}

export function objectPath(ref: ResourceRef, name: string, namespace?: string): string {
  return `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`;
}
