import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

const ENFORCE = 'pod-security.kubernetes.io/enforce'
/** Talos enforces baseline cluster-wide since 1.1 and exempts only kube-system (siderolabs/talos PR #5267). */
const TALOS_EXEMPT = new Set(['kube-system'])

export const podSecurityAdmission = defineCheck<PlatformFacts>()({
  id: 'platform.pod-security-admission',
  title: 'Pod Security admission lets istio-cni and ztunnel run privileged in their namespace',
  category: 'platform',
  needs: ['detection', 'namespaces', 'plans', 'modes'],
  source:
    'https://kubernetes.io/docs/concepts/security/pod-security-admission/ ; https://github.com/siderolabs/talos/pull/5267 (baseline by default); https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/templates/daemonset.yaml (privileged, hostPath)',
  run: ({detection, namespaces, plans, modes}) => {
    const talos = detection.platform === 'talos'
    return forModes(modes, (mode): Outcome[] => {
      const agents = [...new Set((plans[mode]?.releases ?? []).filter((r) => r.release === 'istio-cni' || r.release === 'ztunnel').map((r) => r.namespace))]
      return agents.map((name): Outcome => {
        const subject = {kind: 'Namespace' as const, name}
        const ns = namespaces.find((n) => n.name === name)
        const label = ns?.labels[ENFORCE]
        const fix = {
          text: `Label ${name} so Pod Security admits the privileged node agents.`,
          command: `${ns ? '' : `kubectl create namespace ${name} && `}kubectl label namespace ${name} ${ENFORCE}=privileged --overwrite`,
        }
        if (label === 'privileged' || (talos && TALOS_EXEMPT.has(name) && label === undefined)) {
          return {severity: 'pass', subject, message: label ? `${ENFORCE}=privileged` : `${name} is exempt from Talos's default baseline policy`}
        }
        if (label !== undefined)
          return {
            severity: 'fail',
            subject,
            message: `${ENFORCE}=${label}: istio-cni${mode === 'ambient' ? ' and ztunnel' : ''} (privileged, hostPath) would be rejected`,
            remediation: fix,
          }
        if (talos) {
          const state = ns ? 'has no enforce label' : 'does not exist yet'
          return {
            severity: 'fail',
            subject,
            message: `Talos enforces Pod Security "baseline" on every namespace but kube-system, and ${name} ${state}: istio-cni${mode === 'ambient' ? ' and ztunnel' : ''} would be rejected`,
            remediation: fix,
          }
        }
        return {severity: 'pass', subject, message: `${ns ? 'no enforce label' : 'namespace not created yet'}: Pod Security defaults to privileged`}
      })
    })
  },
})
