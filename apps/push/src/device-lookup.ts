import type { Models } from "@im/data";

/** The fields of a push device the sender checks before a send (is it still this user's, this session's, this token?). */
export interface DeviceOwner {
  _id: string;
  userId: number;
  tokenHash: string;
  token: string;
}

type Waiter = { resolve(device: DeviceOwner | null): void; reject(error: unknown): void };

/**
 * Reads push devices by id for the sender's ownership check, coalescing the reads of concurrent sends into one
 * `find({_id: {$in: ids}})` per turn of the event loop: a 500-member room's sends cost a few reads, not 500
 * (on FerretDB v1 each read scans push_devices). Resolves null for a removed device; rejects every waiter of a
 * failed read (the sends stay pending and are claimed again).
 */
export class DeviceLookup {
  private waiting = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(
    private readonly models: Models,
    /** Most ids in one read. */
    private readonly maxBatch = 500,
  ) {}

  /** The device's owner fields, or null when no device has this id. */
  get(id: string): Promise<DeviceOwner | null> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.waiting];
    this.waiting = new Map();
    for (let i = 0; i < all.length; i += this.maxBatch) void this.read(all.slice(i, i + this.maxBatch));
  }

  private async read(batch: Array<[string, Waiter[]]>): Promise<void> {
    try {
      const found = await this.models.pushDevices
        .find({ _id: { $in: batch.map(([id]) => id) } }, { userId: 1, tokenHash: 1, token: 1 })
        .lean<DeviceOwner[]>();
      const byId = new Map(found.map((device) => [device._id, device]));
      for (const [id, waiters] of batch) for (const waiter of waiters) waiter.resolve(byId.get(id) ?? null);
    } catch (error) {
      for (const [, waiters] of batch) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

const lookups = new WeakMap<object, DeviceLookup>();

/** The one DeviceLookup of a set of models (shared by every send of the process). */
export function deviceLookup(models: Models): DeviceLookup {
  let lookup = lookups.get(models.pushDevices);
  if (!lookup) {
    lookup = new DeviceLookup(models);
    lookups.set(models.pushDevices, lookup);
  }
  return lookup;
}
