/** coordination.k8s.io/v1 Lease, the parts leader election uses. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
export const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export type LeaseDecision =
  | { action: "create"; spec: NonNullable<Lease["spec"]> }
  | { action: "renew" | "takeover"; spec: NonNullable<Lease["spec"]> }
  | { action: "wait"; holder: string; expiresAt: number };

/**
 * What a candidate does with the lease as it reads it now (pure, so it is unit-tested): create it when
 * absent, renew it when it holds it, take it over when it is free or its holder stopped renewing for
 * longer than its duration, else wait. The write that follows carries the read resourceVersion, so of two
 * candidates deciding "takeover" at once only one write succeeds (the other gets 409 Conflict).
 */
export function decideLease(lease: Lease | undefined, identity: string, now: number, durationSeconds: number): LeaseDecision {
  const fresh = { holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) };
  if (!lease) return { action: "create", spec: { ...fresh, acquireTime: microTime(now), leaseTransitions: 0 } };
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity ?? "";
  if (holder === identity) return { action: "renew", spec: { ...spec, ...fresh } };
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  const expiresAt = renewed + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
  if (holder === "" || now > expiresAt) {
    return { action: "takeover", spec: { ...fresh, acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } };
  }
  return { action: "wait", holder, expiresAt };
}
