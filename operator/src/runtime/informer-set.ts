import { Informer, type InformerOptions, type Watched } from "./informer.js";

/**
 * One resource watched in a set of namespaces: one Informer per namespace (RBAC granted per namespace by
 * RoleBindings allows no cluster-wide list), or a single cluster-wide Informer when `namespaces` is empty.
 * Reads go to the informer of the object's namespace.
 */
export class InformerSet<T extends Watched> {
  private readonly informers = new Map<string, Informer<T>>();

  /**
   * @param namespaces the namespaces to watch; [] = every namespace (one cluster-wide watch).
   * @param pathOf the collection path of the resource in a namespace (undefined: all namespaces).
   */
  constructor(
    private readonly namespaces: readonly string[],
    pathOf: (namespace: string | undefined) => string,
    options: Omit<InformerOptions<T>, "path">,
  ) {
    if (namespaces.length === 0) this.informers.set("", new Informer<T>({ ...options, path: pathOf(undefined) }));
    for (const namespace of namespaces) this.informers.set(namespace, new Informer<T>({ ...options, path: pathOf(namespace) }));
  }

  /** Starts every informer; resolves once each has listed its objects once. */
  async start(): Promise<void> {
    for (const informer of this.informers.values()) informer.start();
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined && this.namespaces.length > 0) return this.informers.get(namespace)?.list() ?? [];
    const all = [...this.informers.values()].flatMap((i) => i.list());
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get(namespace: string, name: string): T | undefined {
    return (this.namespaces.length === 0 ? this.informers.get("") : this.informers.get(namespace))?.get(namespace, name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
