import {stringify} from 'yaml'
import {GKE_PROFILE_QUOTAS_SINCE, NODE_CRITICAL_PRIORITY, SYSTEM_NAMESPACE} from '../../knowledge/istio-platform.js'
import {compareMinor} from '../../knowledge/versions.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes, nodeAgentNamespace, usesIstioCni} from '../../derive/platform/modes.js'

/** The quota the Istio docs give for GKE (platform-prerequisites "Namespace restrictions"). */
export function nodeCriticalQuotaYaml(namespace: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: {name: 'gcp-critical-pods', namespace},
    spec: {hard: {pods: 1000}, scopeSelector: {matchExpressions: [{operator: 'In', scopeName: 'PriorityClass', values: [NODE_CRITICAL_PRIORITY]}]}},
  })
}

export const systemNodeCriticalQuota = defineCheck<PlatformFacts>()({
  id: 'platform.system-node-critical-quota',
  title: 'The namespace of istio-cni and ztunnel admits system-node-critical pods',
  category: 'platform',
  needs: ['nodeCriticalAdmission', 'plans', 'detection', 'istio', 'modes'],
  source:
    'https://kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default ; https://istio.io/latest/docs/ambient/install/platform-prerequisites/#google-kubernetes-engine-gke ; Istio ≥1.26 global.platform=gke renders the quotas (https://github.com/istio/istio/pull/55542)',
  run: ({nodeCriticalAdmission: a, plans, detection, istio, modes}) => {
    const gke = detection.platform === 'gke'
    const subject = {kind: 'Namespace' as const, name: a.namespace}
    return forModes(modes, (mode): Outcome[] => {
      const plan = plans[mode]
      if (plan === undefined || !usesIstioCni(plan)) return []
      const agents = nodeAgentNamespace(plan)
      const dry = a.dryRun?.outcome === 'admitted' ? ' (confirmed by a server-side dry-run pod create)' : ''
      if (a.namespace === SYSTEM_NAMESPACE || (agents === SYSTEM_NAMESPACE && !gke)) {
        return [
          {
            severity: 'pass',
            subject,
            message: `istio-cni${mode === 'ambient' ? ' and ztunnel' : ''} go to kube-system${gke ? ", which GKE's gcp-critical-pods quota admits" : ` on ${detection.name}`}`,
          },
        ]
      }
      if (plan.platformValue === 'gke' && compareMinor(istio.minor, GKE_PROFILE_QUOTAS_SINCE) >= 0) {
        return [
          {
            severity: 'pass',
            subject,
            message: `Istio ${istio.minor} with global.platform=gke creates the system-node-critical ResourceQuotas in ${a.namespace} itself; do not create a duplicate`,
          },
        ]
      }
      if (a.admits === true) {
        const quota = a.admittingQuota ? `ResourceQuota ${a.admittingQuota} admits ${NODE_CRITICAL_PRIORITY}` : `${NODE_CRITICAL_PRIORITY} pods are admitted`
        if (a.quotaFull)
          return [
            {
              severity: 'warn',
              subject,
              message: `${quota} but has no pods left (used ≥ hard)`,
              remediation: {text: `Raise hard.pods of ${a.admittingQuota}.`, command: `kubectl describe resourcequota ${a.admittingQuota} -n ${a.namespace}`},
            },
          ]
        return [{severity: 'pass', subject, message: `${quota} in ${a.namespace}${dry}`}]
      }
      if (a.admits === undefined) {
        return [
          {
            severity: 'unknown',
            subject,
            message: `could not tell whether ${a.namespace} admits ${NODE_CRITICAL_PRIORITY} pods: ${[a.quotaGap, a.dryRunGap].filter(Boolean).join('; ')}`,
          },
        ]
      }
      if (!gke && !a.gated) {
        const how =
          a.dryRun === undefined
            ? ` (the dry-run could not run: ${a.dryRunGap})`
            : a.dryRun.outcome === 'namespace-missing'
              ? ` (${a.namespace} does not exist yet, so no dry-run)`
              : ''
        return [
          {
            severity: 'pass',
            subject,
            message: `no ResourceQuota gates ${NODE_CRITICAL_PRIORITY} on ${detection.name} (only GKE ships that gate by default)${how}`,
          },
        ]
      }
      const evidence =
        a.dryRun?.outcome === 'rejected'
          ? `: the dry-run was refused: ${a.dryRun.message}`
          : ` and ${a.namespace} has no ResourceQuota whose scopeSelector admits it`
      const newer =
        gke && compareMinor(istio.minor, GKE_PROFILE_QUOTAS_SINCE) < 0
          ? ` or use Istio ≥${GKE_PROFILE_QUOTAS_SINCE} with global.platform=gke (it creates the quota),`
          : ''
      return [
        {
          severity: 'fail',
          subject,
          message: `${gke ? 'GKE admits' : 'this cluster admits'} ${NODE_CRITICAL_PRIORITY} pods (istio-cni, ztunnel) only in namespaces with a matching quota${evidence}`,
          remediation: {
            text: `Create this ResourceQuota in ${a.namespace},${newer} or install istio-cni and ztunnel into kube-system with pilot.trustedZtunnelNamespace=kube-system (what --values prints).`,
            yaml: nodeCriticalQuotaYaml(a.namespace),
          },
        },
      ]
    })
  },
})
