import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerStateView, PodView } from "./pod-view.js";
import { componentProblems, podProblem } from "./pods.js";

const pod = (name: string, state: ContainerStateView, lastState: ContainerStateView = {}, component = "api"): PodView => ({
  metadata: { name, labels: { "app.kubernetes.io/component": component } },
  status: { containerStatuses: [{ name: component, state, lastState }] },
});

describe("pod problems", () => {
  it("names each kubelet reason a human must act on, with pod and container", () => {
    const crash = pod(
      "p",
      { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
      { terminated: { exitCode: 1, reason: "Error" } },
    );
    assert.deepEqual(podProblem(crash), {
      reason: "CrashLoopBackOff",
      message: "pod p container api CrashLoopBackOff: last exit code 1 (Error)",
    });
    for (const reason of ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"]) {
      const problem = podProblem(pod("p", { waiting: { reason, message: "detail" } }));
      assert.deepEqual(problem, { reason, message: `pod p container api ${reason}: detail` });
    }
    assert.equal(podProblem(pod("p", { waiting: { reason: "ContainerCreating" } })), undefined, "kubelet gets there alone");
    assert.equal(podProblem(pod("p", { running: {} })), undefined);
  });

  it("OOMKilled in the last state, exit 78 as ConfigRefused (before the crash loop it causes), Unschedulable", () => {
    const crash = { waiting: { reason: "CrashLoopBackOff" } };
    assert.equal(podProblem(pod("p", crash, { terminated: { reason: "OOMKilled", exitCode: 137 } }))?.reason, "OOMKilled");
    assert.equal(podProblem(pod("p", crash, { terminated: { reason: "Error", exitCode: 78 } }))?.reason, "ConfigRefused");
    assert.equal(
      podProblem(pod("p", { terminated: { exitCode: 78, message: "im_meta says 8 shards" } }))?.message.includes("im_meta"),
      true,
    );
    const pending: PodView = {
      metadata: { name: "p" },
      status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" }] },
    };
    assert.deepEqual(podProblem(pending), { reason: "Unschedulable", message: "pod p cannot be scheduled: 0/3 nodes are available" });
    assert.equal(podProblem({ ...pending, metadata: { name: "p", deletionTimestamp: "2026-12-01T00:00:00Z" } }), undefined);
  });

  it("one problem per component, the most serious; a missing Secret is SecretMissing", () => {
    const problems = componentProblems(
      ["api", "gateway", "scheduler"],
      [
        pod("api-b", { waiting: { reason: "ImagePullBackOff" } }),
        pod("api-a", { waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 78 } }),
        pod("push-a", { waiting: { reason: "CrashLoopBackOff" } }, {}, "push"),
      ],
      { gateway: ["im-redis"] },
    );
    assert.deepEqual(Object.keys(problems).sort(), ["api", "gateway"]);
    assert.equal(problems.api?.reason, "ConfigRefused");
    assert.deepEqual(problems.gateway, { reason: "SecretMissing", message: "Secret im-redis referenced by gateway does not exist" });
  });
});
