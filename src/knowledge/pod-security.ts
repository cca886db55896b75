/**
 * What decides whether istio-init (sidecar mode without istio-cni) may add NET_ADMIN and NET_RAW.
 * Sources: https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/ ("the baseline policy does
 * not include NET_ADMIN or NET_RAW in its allowed capabilities"); https://kubernetes.io/docs/concepts/security/
 * pod-security-standards/#baseline; https://kubernetes.io/docs/concepts/security/pod-security-admission/ (enforce,
 * audit, warn labels); https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 * (istio-init adds NET_ADMIN, NET_RAW and runs as UID 0 only when pilot.cni.enabled is false).
 */

export const ISTIO_INIT_CAPABILITIES: readonly string[] = ['NET_ADMIN', 'NET_RAW']

export const PSA_MODES = ['enforce', 'warn', 'audit'] as const
export type PsaMode = (typeof PSA_MODES)[number]
export const psaLabel = (mode: PsaMode) => `pod-security.kubernetes.io/${mode}`

export interface PsaLevel {
  readonly level: 'privileged' | 'baseline' | 'restricted'
  /** Whether the level lets istio-init add NET_ADMIN and NET_RAW. */
  readonly allowsIstioInit: boolean
}

export const PSA_LEVELS: readonly PsaLevel[] = [
  {level: 'privileged', allowsIstioInit: true},
  {level: 'baseline', allowsIstioInit: false},
  {level: 'restricted', allowsIstioInit: false},
]

/** OpenShift groups every service account of a namespace belongs to (SCC `groups` may name them). */
export const serviceAccountGroups = (namespace: string): readonly string[] => [
  'system:serviceaccounts',
  `system:serviceaccounts:${namespace}`,
  'system:authenticated',
]
export const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`
