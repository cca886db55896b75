/** Istio's two data-plane modes: a sidecar proxy per pod, or ambient (ztunnel per node, optional waypoints). */
export const MODES = ['sidecar', 'ambient'] as const
export type Mode = (typeof MODES)[number]
