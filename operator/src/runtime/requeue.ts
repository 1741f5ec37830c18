/**
 * The one way a reconcile asks to run again later without it being a failure (waiting for children to
 * disappear, polling something that has no watch). The work queue turns it into a delayed re-add and resets
 * the key's backoff; every other thrown error is a failure retried with exponential backoff.
 */
export class Requeue {
  constructor(
    readonly afterMs: number,
    readonly reason: string,
  ) {}
}

export type ReconcileResult = undefined | Requeue;

export const requeueAfter = (afterMs: number, reason: string) => new Requeue(afterMs, reason);
