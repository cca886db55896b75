/** Whether a namespace admits istio-init's NET_ADMIN and NET_RAW: Pod Security Admission, PodSecurityPolicy, OpenShift SCCs. */
import type {Fact} from '../../model/finding.js'
import type {MeshInstall, PodSecurityPolicySummary, SecurityContextConstraintsSummary} from '../../gather/workloads.js'
import {ISTIO_INIT_CAPABILITIES, PSA_LEVELS, psaLabel, serviceAccountGroups, serviceAccountUser} from '../../knowledge/pod-security.js'

export interface AdmissionVerdict {
  readonly severity: 'pass' | 'warn' | 'fail' | 'unknown'
  /** A clause about the namespace: `it enforces Pod Security "restricted", …`. */
  readonly text: string
}

const CAPS = ISTIO_INIT_CAPABILITIES.join(' and ')
const allowsIstioInit = (capabilities: readonly string[]) => capabilities.includes('*') || ISTIO_INIT_CAPABILITIES.every((c) => capabilities.includes(c))
const names = (items: ReadonlyArray<{name: string}>) => items.map((i) => i.name).join(', ')

export function podSecurityAdmission(labels: Fact<Readonly<Record<string, string>>>): AdmissionVerdict {
  if (labels.state === 'unavailable') return {severity: 'unknown', text: `its Pod Security labels could not be read (${labels.reason})`}
  const level = (mode: 'enforce' | 'warn' | 'audit') => labels.value[psaLabel(mode)]
  const rejects = (value: string | undefined) => value !== undefined && PSA_LEVELS.find((l) => l.level === value)?.allowsIstioInit === false
  const enforce = level('enforce')
  if (enforce !== undefined && !PSA_LEVELS.some((l) => l.level === enforce))
    return {severity: 'unknown', text: `its ${psaLabel('enforce')} label has an unrecognised level "${enforce}"`}
  if (rejects(enforce)) return {severity: 'fail', text: `it enforces Pod Security "${enforce}", which rejects istio-init's ${CAPS}`}
  const soft = (['warn', 'audit'] as const).filter((mode) => rejects(level(mode)))
  if (soft.length > 0) {
    return {
      severity: 'warn',
      text: `its Pod Security ${soft.map((m) => `${m}=${level(m)}`).join(' and ')} label${soft.length > 1 ? 's' : ''} will flag istio-init's ${CAPS} on every pod (admitted, with warnings or audit events)`,
    }
  }
  return {
    severity: 'pass',
    text: enforce
      ? `Pod Security enforce=${enforce} admits istio-init`
      : 'it has no Pod Security enforce label (a cluster-wide default, if any, is not visible through the API)',
  }
}

export function podSecurityPolicies(psps: Fact<readonly PodSecurityPolicySummary[] | null>): AdmissionVerdict | undefined {
  if (psps.state === 'unavailable') return {severity: 'unknown', text: `PodSecurityPolicies could not be read (${psps.reason})`}
  if (psps.value === null || psps.value.length === 0) return undefined
  const allowing = psps.value.filter((p) => allowsIstioInit(p.allowedCapabilities))
  if (allowing.length === 0) return {severity: 'fail', text: `no PodSecurityPolicy allows ${CAPS} (${names(psps.value)})`}
  return {severity: 'warn', text: `only PodSecurityPolicy ${names(allowing)} allows ${CAPS}; the pods' service accounts must be allowed to use it`}
}

export function securityContextConstraints(
  sccs: Fact<readonly SecurityContextConstraintsSummary[] | null>,
  namespace: string,
  serviceAccounts: readonly string[],
): AdmissionVerdict | undefined {
  if (sccs.state === 'unavailable') return {severity: 'unknown', text: `SecurityContextConstraints could not be read (${sccs.reason})`}
  if (sccs.value === null) return undefined
  const allowing = sccs.value.filter((s) => allowsIstioInit(s.allowedCapabilities))
  if (allowing.length === 0) return {severity: 'fail', text: `no SecurityContextConstraints allows ${CAPS}`}
  const groups = serviceAccountGroups(namespace)
  const grant = (sa: string) => allowing.find((s) => s.users.includes(serviceAccountUser(namespace, sa)) || s.groups.some((g) => groups.includes(g)))
  const missing = serviceAccounts.filter((sa) => grant(sa) === undefined)
  if (missing.length === 0)
    return {severity: 'pass', text: `SCC ${[...new Set(serviceAccounts.map((sa) => grant(sa)!.name))].join(', ')} grants ${CAPS} to its service accounts`}
  return {
    severity: 'warn',
    text: `no SCC that allows ${CAPS} (${names(allowing)}) lists service account ${missing.join(', ')} in its users or groups, so unless RBAC grants "use" on one, its pods get restricted-v2, which drops them`,
  }
}

export interface CniState {
  readonly state: 'present' | 'absent' | 'unknown'
  readonly text: string
  /**
   * What is missing for istio-cni to replace istio-init: `pilot.cni.enabled` on istiod (the istio-cni node agent
   * already runs), the istio-cni component itself (also when the injector already expects it), or both.
   */
  readonly missing?: 'injector-setting' | 'component' | 'both'
}

/** The injector's `pilot.cni.enabled` decides when Istio is installed; otherwise the istio-cni-node DaemonSet does. */
export function istioCni(mesh: MeshInstall): CniState {
  const {injectorCni, cniDaemonSet} = mesh
  const ds = cniDaemonSet.state === 'known' && cniDaemonSet.value ? ` (${cniDaemonSet.value})` : ''
  const daemonSet = cniDaemonSet.state === 'known' ? cniDaemonSet.value !== null : undefined
  if (injectorCni.state === 'known' && injectorCni.value !== null) {
    const text = `the sidecar injector has pilot.cni.enabled=${injectorCni.value}${ds}`
    // The injector leaves istio-init out, so without the node agent nothing redirects the pods' traffic.
    if (injectorCni.value) return {state: 'present', text, ...(daemonSet === false ? {missing: 'component' as const} : {})}
    return {state: 'absent', text, missing: daemonSet === true ? 'injector-setting' : daemonSet === false ? 'both' : undefined}
  }
  if (cniDaemonSet.state === 'unavailable') return {state: 'unknown', text: `whether istio-cni is installed could not be read (${cniDaemonSet.reason})`}
  return cniDaemonSet.value
    ? {state: 'present', text: `istio-cni is installed${ds}`}
    : {state: 'absent', text: 'istio-cni is not installed', missing: 'component'}
}

/** The fix that removes istio-init, naming exactly what is missing. */
export function cniRemediation(cni: CniState, istioNamespace: string): {text: string; command: string} {
  if (cni.missing === 'injector-setting') {
    return {
      text: `The istio-cni node agent runs, but istiod's injector still adds istio-init because pilot.cni.enabled is false: set it (istioctl: values.pilot.cni.enabled=true with the rest of your install flags; Helm: helm upgrade istiod istio/istiod -n ${istioNamespace} --reuse-values --set pilot.cni.enabled=true)`,
      command: 'istioctl install --set values.pilot.cni.enabled=true',
    }
  }
  return {
    text: `Install the istio-cni node agent (the cni component) and tell the injector to use it (pilot.cni.enabled=true): it redirects traffic without NET_ADMIN or NET_RAW in the pod (recommended; on OpenShift use the openshift profile). Helm: helm install istio-cni istio/cni -n ${istioNamespace}, and istiod with --set pilot.cni.enabled=true`,
    command: 'istioctl install --set components.cni.enabled=true --set values.pilot.cni.enabled=true',
  }
}
