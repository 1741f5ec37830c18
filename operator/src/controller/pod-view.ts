/** A core/v1 ContainerState, as far as the operator reads it. */
export interface ContainerStateView {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; message?: string; exitCode?: number; finishedAt?: string };
}

/** The parts of a core/v1 Pod the operator reads to report problems below the Deployment (read-only). */
export interface PodView {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { containers?: Array<{ name: string; image?: string; ports?: Array<{ name?: string; containerPort: number }> }> };
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name: string;
      ready?: boolean;
      restartCount?: number;
      image?: string;
      state?: ContainerStateView;
      lastState?: ContainerStateView;
    }>;
  };
}
