import type { ContainerStateView, PodView } from "./pod-view.js";

/** Label naming a pod's component (render/metadata.ts selectorLabels). */
export const componentLabel = "app.kubernetes.io/component";

/** Exit code by which an app says it refused its configuration (sysexits EX_CONFIG; e.g. im_meta disagrees with MESSAGE_SHARDS). */
export const configRefusedExitCode = 78;

/** A problem below a component's Deployment: what status.components[x].problem and the Stalled condition report. */
export interface PodProblem {
  /** CrashLoopBackOff, ImagePullBackOff, ErrImagePull, InvalidImageName, CreateContainerConfigError, Unschedulable, OOMKilled, ConfigRefused or SecretMissing. */
  reason: string;
  /** Detail naming the pod and container, e.g. `pod im-gateway-7d9f-abcde container gateway: back-off restarting failed container`. */
  message: string;
}

/**
 * Container waiting reasons a human must act on (kubelet's reasons, as `kubectl get pods` shows them); the
 * order is the severity used to pick the one problem a component reports.
 */
const waitingReasons = ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"];
/** Severity, most serious first: a refused configuration explains a crash loop better than the crash loop itself. */
const severity = ["ConfigRefused", "SecretMissing", "OOMKilled", ...waitingReasons, "Unschedulable"];

const detail = (text: string | undefined) => (text ? `: ${text}` : "");

function containerProblem(pod: string, name: string, state: ContainerStateView | undefined, last: ContainerStateView | undefined) {
  const at = `pod ${pod} container ${name}`;
  const terminated = [state?.terminated, last?.terminated].find((t) => t?.exitCode === configRefusedExitCode);
  if (terminated) {
    return {
      reason: "ConfigRefused",
      message: `${at} exited with code ${configRefusedExitCode} (configuration refused)${detail(terminated.message)}`,
    };
  }
  if (state?.terminated?.reason === "OOMKilled" || last?.terminated?.reason === "OOMKilled") {
    return { reason: "OOMKilled", message: `${at} was killed for exceeding its memory limit (OOMKilled)` };
  }
  const waiting = state?.waiting;
  if (waiting?.reason === "CrashLoopBackOff") {
    // kubelet's message grows with the back-off ("back-off 10s", "20s", ...); the last exit is what stays the same.
    const exit = last?.terminated;
    const cause = exit ? `: last exit code ${exit.exitCode ?? "unknown"}${exit.reason ? ` (${exit.reason})` : ""}` : "";
    return { reason: waiting.reason, message: `${at} CrashLoopBackOff${cause}` };
  }
  if (waiting?.reason && waitingReasons.includes(waiting.reason)) {
    return { reason: waiting.reason, message: `${at} ${waiting.reason}${detail(waiting.message)}` };
  }
  return undefined;
}

/**
 * The problem of one pod, when it has one: a container refusing its configuration (exit code 78, in its
 * current or last state), killed for memory (OOMKilled), waiting for a reason kubelet will not fix alone
 * (CrashLoopBackOff, image pull errors, CreateContainerConfigError), or the pod unschedulable (PodScheduled
 * False, reason Unschedulable). A pod being deleted has none.
 */
export function podProblem(pod: PodView): PodProblem | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const found: PodProblem[] = [];
  for (const container of pod.status?.containerStatuses ?? []) {
    const problem = containerProblem(pod.metadata.name, container.name, container.state, container.lastState);
    if (problem) found.push(problem);
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    found.push({ reason: "Unschedulable", message: `pod ${pod.metadata.name} cannot be scheduled${detail(scheduled.message)}` });
  }
  return mostSerious(found);
}

/** The most serious of some problems (ties: the first). */
export function mostSerious(problems: readonly PodProblem[]): PodProblem | undefined {
  const rank = (p: PodProblem) => {
    const index = severity.indexOf(p.reason);
    return index < 0 ? severity.length : index;
  };
  return [...problems].sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * The one problem per component (label app.kubernetes.io/component) among a cluster's pods and its missing
 * Secrets (SecretMissing, which keeps pods in CreateContainerConfigError); components with none are absent.
 * Pods of components not listed are ignored.
 */
export function componentProblems(
  components: readonly string[],
  pods: readonly PodView[],
  missingSecrets: Record<string, string[]> = {},
): Record<string, PodProblem> {
  const problems: Record<string, PodProblem> = {};
  for (const component of components) {
    const found: PodProblem[] = [];
    const secrets = missingSecrets[component] ?? [];
    if (secrets.length > 0) {
      found.push({ reason: "SecretMissing", message: `Secret ${secrets.join(", ")} referenced by ${component} does not exist` });
    }
    const ordered = pods
      .filter((p) => p.metadata.labels?.[componentLabel] === component)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    for (const pod of ordered) {
      const problem = podProblem(pod);
      if (problem) found.push(problem);
    }
    const worst = mostSerious(found);
    if (worst) problems[component] = worst;
  }
  return problems;
}
