import { handoverFieldManager, operatorName } from "../crd/constants.js";
import type { KubeClient } from "../kube/client.js";
import { childKinds } from "../render/child-kinds.js";
import { activeComponents } from "../render/components.js";
import type { KubeObject } from "../render/kube-object.js";
import { isHibernating } from "../render/render.js";
import { type ReconcileResult, requeueAfter } from "../runtime/requeue.js";
import type { ImCluster } from "../spec/imcluster.js";
import type { ReconcileDeps } from "./reconcile.js";

/**
 * Deployment annotation: when the operator last took one pod off a paced (gateway) Deployment, an ISO 8601
 * time. The next step comes OPERATOR_SCALE_DOWN_STEP_SECONDS later, also across operator restarts.
 */
export const scaledDownAtAnnotation = "im.platform.io/scaled-down-at";

/** One managedFields entry of an object (metav1.ManagedFieldsEntry), the parts read here. */
interface ManagedFieldsEntry {
  manager?: string;
  fieldsV1?: { "f:spec"?: Record<string, unknown> };
}

/** What the plan knows about a component's live Deployment. */
export interface LiveReplicas {
  /** spec.replicas as stored. */
  replicas: number;
  /** Field managers owning spec.replicas (managedFields). */
  owners: string[];
  /** The scaledDownAtAnnotation value, when set. */
  scaledDownAt?: string | undefined;
}

/** Inputs of planReplicas for one component. */
export interface ReplicaInputs {
  /** spec.replicas of the rendered Deployment (undefined when render left it to an autoscaler). */
  rendered: number | undefined;
  /** minReplicas of the component's rendered HorizontalPodAutoscaler; undefined: not autoscaled. */
  autoscalerMin: number | undefined;
  /** The live Deployment; undefined: not created yet. */
  live: LiveReplicas | undefined;
  /** The component's HorizontalPodAutoscaler still exists (it is being removed in this reconcile). */
  autoscalerLive: boolean;
  /** Decreases go one pod per step (the gateway: each removed pod cuts its users). */
  paced: boolean;
  /** Hibernating: straight to the rendered count (0), nothing paced. */
  hibernating: boolean;
  now: Date;
  stepSeconds: number;
}

/** What to write for one component's Deployment, in this order. */
export interface ReplicaPlan {
  /** First apply `{spec: {replicas: handover}}` as handoverFieldManager, so the field keeps an owner. */
  handover?: number;
  /** spec.replicas the operator's own apply carries; undefined: left out (another manager owns it). */
  replicas?: number;
  /** scaledDownAtAnnotation value the operator's apply carries (a paced descent in progress). */
  scaledDownAt?: string;
  /** Then apply an empty object as handoverFieldManager: its ownership is no longer needed. */
  release: boolean;
  /**
   * Created just now with `replicas` (an autoscaled Deployment must not start at the API server's default of 1):
   * hand the field over in the same reconcile (hand-over apply, then the operator's apply without it), so the
   * autoscaler owns it from the start.
   */
  handOverAfterCreate?: number;
  /** Come back after this many milliseconds (the next step of a paced descent). */
  requeueMs?: number;
}

/**
 * Decides a Deployment's spec.replicas, following Kubernetes' documented server-side-apply procedure for handing
 * `replicas` to a HorizontalPodAutoscaler ("Server-Side Apply: transferring ownership"), so the count never
 * drops in either direction:
 * - autoscaled, Deployment missing: created with the autoscaler's minimum;
 * - autoscaled, only the operator (and/or the hand-over manager) owns replicas: the hand-over manager applies
 *   max(live, minimum) and the operator's apply leaves replicas out, so the API server never defaults it to 1;
 * - autoscaled, another manager owns replicas (the HPA's /scale writes): left alone, hand-over ownership released;
 * - not autoscaled while the HPA still exists, the hand-over manager still holds the count or the operator does
 *   not own it (autoscaling just turned off, or a `kubectl scale deployment`): max(live, spec) in this
 *   reconcile, then down to spec;
 * - a decrease of a paced component (the gateway): one pod per `stepSeconds`; others (and hibernation) at once.
 */
export function planReplicas(input: ReplicaInputs): ReplicaPlan {
  const { live } = input;
  if (input.autoscalerMin !== undefined) {
    if (!live) return { replicas: input.autoscalerMin, release: false, handOverAfterCreate: input.autoscalerMin };
    const held = live.owners.includes(handoverFieldManager);
    if (live.owners.some((owner) => owner !== operatorName && owner !== handoverFieldManager)) return { release: held };
    if (held && live.replicas >= input.autoscalerMin) return { release: false };
    return { handover: Math.max(live.replicas, input.autoscalerMin), release: false };
  }
  const target = input.rendered ?? 1;
  if (!live) return { replicas: target, release: false };
  const release = live.owners.includes(handoverFieldManager);
  if (input.hibernating || target >= live.replicas) return { replicas: target, release };
  const now = input.now.toISOString();
  // Forced applies share a field whose value they do not change: a co-owner left from the HPA is no hand-over.
  const handingOver = input.autoscalerLive || release || !live.owners.includes(operatorName);
  if (handingOver) {
    return { replicas: live.replicas, scaledDownAt: now, release, requeueMs: input.paced ? input.stepSeconds * 1000 : 1000 };
  }
  if (!input.paced) return { replicas: target, release };
  const last = live.scaledDownAt === undefined ? Number.NaN : Date.parse(live.scaledDownAt);
  const elapsed = input.now.getTime() - last;
  if (Number.isFinite(elapsed) && elapsed >= 0 && elapsed < input.stepSeconds * 1000) {
    return { replicas: live.replicas, scaledDownAt: live.scaledDownAt ?? now, release, requeueMs: input.stepSeconds * 1000 - elapsed };
  }
  const next = live.replicas - 1;
  return next > target
    ? { replicas: next, scaledDownAt: now, release, requeueMs: input.stepSeconds * 1000 }
    : { replicas: target, scaledDownAt: now, release };
}

/** Field managers owning spec.replicas of an object, from metadata.managedFields. */
export function replicaOwners(object: KubeObject): string[] {
  const entries = ((object.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []) as ManagedFieldsEntry[];
  return entries.filter((entry) => entry.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined).map((entry) => entry.manager ?? "");
}

/** What ReplicaHandover reads: the rendered children and the live ones of the same ImCluster. */
export interface HandoverInputs {
  client: KubeClient;
  /** Every object render produced for the cluster (Deployments and HorizontalPodAutoscalers are read). */
  desired: readonly KubeObject[];
  /** The cluster's live Deployments and HorizontalPodAutoscalers (informer caches). */
  liveDeployments: readonly KubeObject[];
  liveAutoscalers: readonly KubeObject[];
  /** Deployment names whose decreases are paced (the gateway's). */
  paced: ReadonlySet<string>;
  hibernating: boolean;
  now: Date;
  stepSeconds: number;
}

/**
 * Applies the Deployments of one reconcile with their replica plan (planReplicas): the hand-over apply before
 * the operator's own, the release after it. `requeue()` is the soonest next step of any paced descent.
 */
export class ReplicaHandover {
  private soonest: number | undefined;

  constructor(private readonly inputs: HandoverInputs) {}

  /**
   * The hand-over of one reconcile of `cluster`: its live Deployments and autoscalers from the informer caches,
   * the gateway's decreases paced (components with a scaleDown policy), step from deps.scaleDownStepSeconds (60).
   */
  static forCluster(
    deps: Pick<ReconcileDeps, "client" | "listChildren" | "servedKinds" | "now" | "scaleDownStepSeconds">,
    cluster: ImCluster,
    desired: readonly KubeObject[],
  ): ReplicaHandover {
    const { name, namespace = "" } = cluster.metadata;
    const live = (kind: string) => {
      const child = childKinds.find((c) => c.kind === kind);
      return child && deps.servedKinds().has(kind) ? deps.listChildren(child, namespace, name) : [];
    };
    const paced = activeComponents(cluster.spec).filter((component) => component.scaleDown);
    return new ReplicaHandover({
      client: deps.client,
      desired,
      liveDeployments: live("Deployment"),
      liveAutoscalers: live("HorizontalPodAutoscaler"),
      paced: new Set(paced.map((component) => `${name}-${component.name}`)),
      hibernating: isHibernating(cluster),
      now: deps.now(),
      stepSeconds: deps.scaleDownStepSeconds ?? 60,
    });
  }

  /** Server-side applies one rendered Deployment at `path` (as im-operator, forced) with its planned replicas. */
  async apply(path: string, rendered: KubeObject): Promise<void> {
    const { client } = this.inputs;
    const plan = planReplicas(this.inputsFor(rendered));
    const identity = { apiVersion: rendered.apiVersion, kind: rendered.kind, metadata: { name: rendered.metadata.name } };
    if (plan.handover !== undefined) {
      await client.apply(path, { ...identity, spec: { replicas: plan.handover } }, handoverFieldManager, true);
    }
    const spec = { ...(rendered.spec as Record<string, unknown>) };
    delete spec.replicas;
    const metadata = { ...rendered.metadata };
    if (plan.scaledDownAt) metadata.annotations = { ...metadata.annotations, [scaledDownAtAnnotation]: plan.scaledDownAt };
    const object = { ...rendered, metadata, spec: plan.replicas === undefined ? spec : { replicas: plan.replicas, ...spec } };
    await client.apply(path, object, operatorName, true);
    if (plan.handOverAfterCreate !== undefined) {
      await client.apply(path, { ...identity, spec: { replicas: plan.handOverAfterCreate } }, handoverFieldManager, true);
      await client.apply(path, { ...rendered, metadata, spec }, operatorName, true);
    }
    // An apply without fields drops every field the hand-over manager owned; the field keeps its other owner.
    if (plan.release) await client.apply(path, identity, handoverFieldManager, true);
    if (plan.requeueMs !== undefined) this.soonest = Math.min(this.soonest ?? plan.requeueMs, plan.requeueMs);
  }

  /** A requeue for the next paced step, when one is due. */
  requeue(): ReconcileResult {
    return this.soonest === undefined ? undefined : requeueAfter(Math.max(100, Math.ceil(this.soonest)), "scaling down one pod per step");
  }

  private inputsFor(rendered: KubeObject): ReplicaInputs {
    const name = rendered.metadata.name;
    const targets = (hpa: KubeObject) => (hpa.spec as { scaleTargetRef?: { name?: string } } | undefined)?.scaleTargetRef?.name === name;
    const autoscaler = this.inputs.desired.find((o) => o.kind === "HorizontalPodAutoscaler" && targets(o));
    const live = this.inputs.liveDeployments.find((d) => d.metadata.name === name);
    const liveReplicas = (live?.spec as { replicas?: number } | undefined)?.replicas;
    return {
      rendered: (rendered.spec as { replicas?: number } | undefined)?.replicas,
      autoscalerMin: autoscaler ? ((autoscaler.spec as { minReplicas?: number }).minReplicas ?? 1) : undefined,
      live:
        live && liveReplicas !== undefined
          ? { replicas: liveReplicas, owners: replicaOwners(live), scaledDownAt: live.metadata.annotations?.[scaledDownAtAnnotation] }
          : undefined,
      autoscalerLive: this.inputs.liveAutoscalers.some(targets),
      paced: this.inputs.paced.has(name),
      hibernating: this.inputs.hibernating,
      now: this.inputs.now,
      stepSeconds: this.inputs.stepSeconds,
    };
  }
}
