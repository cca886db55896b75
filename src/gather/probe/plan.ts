/** How probes are fanned out: one bare pod per target, or one DaemonSet whose controller makes them. */
export type FanOut = 'pods' | 'daemonset'
/** `--fan-out auto` uses a DaemonSet when a run probes node by node (--all-nodes, node names) and more nodes than this. */
export const DAEMONSET_THRESHOLD = 50

/** The fan-out a run uses for `targets` probes. */
export function chooseFanOut(requested: FanOut | 'auto', nodeLevel: boolean, targets: number): FanOut {
  if (requested !== 'auto') return requested
  return nodeLevel && targets > DAEMONSET_THRESHOLD ? 'daemonset' : 'pods'
}

/**
 * How probes run on the cluster, decided once from the flags: `nodes` and `check` parse their flags into this and
 * the probe session reads it as is.
 */
export interface ProbePlan {
  /** The probe image, already resolved (--image, else busybox, else Istio's proxyv2 with --functional). */
  readonly image: string
  readonly imagePullSecret?: string
  /** An existing namespace to use (never created or deleted); default: create PROBE_NAMESPACE. */
  readonly namespace?: string
  /** Also apply Istio-shaped rules in the probe's own network namespace (adds NET_ADMIN/NET_RAW). */
  readonly functional: boolean
  /** The whole session's budget (--timeout). */
  readonly timeoutMs: number
  /** Probe pods created (pods fan-out) or probe logs read (DaemonSet fan-out) at a time. */
  readonly concurrency: number
  /** `auto`: a DaemonSet when the run probes single nodes and more than DAEMONSET_THRESHOLD of them, else pods. */
  readonly fanOut: FanOut | 'auto'
  readonly keepProbes: boolean
}

/** Which nodes are probed. */
export interface NodeSelection {
  /** Every node instead of one per node group. */
  readonly allNodes: boolean
  /** Only these nodes (each its own probe). */
  readonly nodeNames: readonly string[]
  readonly selector?: string
}

/** Single nodes (--all-nodes or node names) rather than one node per group: what lets `auto` pick a DaemonSet. */
export const nodeLevel = (selection: NodeSelection): boolean => selection.allNodes || selection.nodeNames.length > 0
