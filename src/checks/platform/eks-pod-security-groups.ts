import {AWS_NODE} from '../../knowledge/cni-signals.js'
import {AWS_BRANCH_ENI_PROBE_FIX} from '../../knowledge/istio-platform.js'
import {compareMinor} from '../../knowledge/versions.js'
import type {Outcome, Subject} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import type {IstioTarget} from '../../derive/platform/install-plan.js'
import {hasFeature} from '../../derive/platform/detect-platform.js'
import {inventoryGaps, namespaceGap} from '../../derive/platform/inventory.js'
import {forModes} from '../../derive/platform/modes.js'

const SUBJECT: Subject = {kind: 'Workload', name: AWS_NODE.daemonSet, namespace: AWS_NODE.namespace}
const SET_STANDARD = `kubectl set env daemonset ${AWS_NODE.daemonSet} -n ${AWS_NODE.namespace} ${AWS_NODE.env.enforcingMode}=standard`

/** Whether the judged release has istio/istio PR #59778 (probes routed around the branch ENI): yes, no, or only from a patch. */
export function branchEniFix(istio: IstioTarget): {fixed: boolean | undefined; from?: string} {
  if (compareMinor(istio.minor, AWS_BRANCH_ENI_PROBE_FIX.fixedFromMinor) >= 0) return {fixed: true}
  const patch = AWS_BRANCH_ENI_PROBE_FIX.patches[istio.minor]
  if (patch === undefined) return {fixed: false}
  const from = `${istio.minor}.${patch}`
  return {fixed: istio.patch === undefined ? undefined : istio.patch >= patch, from}
}

export const eksPodSecurityGroups = defineCheck<PlatformFacts>()({
  id: 'platform.eks-pod-security-groups',
  title: 'Kubelet probes survive VPC CNI security groups for pods',
  category: 'platform',
  needs: ['detection', 'daemonSets', 'workloadEnv', 'securityGroupPolicies', 'istio', 'modes'],
  defaultSubject: SUBJECT,
  source:
    'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#amazon-elastic-kubernetes-service-eks ; https://github.com/aws/amazon-vpc-cni-k8s/issues/2797 ; https://github.com/istio/istio/issues/53105 ; https://github.com/istio/istio/pull/59778',
  run: ({detection, daemonSets, workloadEnv, securityGroupPolicies: sgps, istio, modes}): Outcome[] => {
    const awsNode = daemonSets.items.find((d) => d.namespace === AWS_NODE.namespace && d.name === AWS_NODE.daemonSet)
    if (awsNode === undefined) {
      const gap = namespaceGap(daemonSets, AWS_NODE.namespace)
      if (gap && (detection.platform === 'eks' || detection.platform === 'aws'))
        return [{severity: 'unknown', subject: SUBJECT, message: `could not look for the Amazon VPC CNI: ${gap}`}]
      const why = hasFeature(detection, 'eks-auto-mode')
        ? 'EKS Auto Mode manages pod networking itself (no aws-node DaemonSet to read)'
        : 'the Amazon VPC CNI (aws-node) is not installed'
      return [{severity: 'skip', subject: SUBJECT, message: why}]
    }
    const env = workloadEnv[`${AWS_NODE.namespace}/${AWS_NODE.daemonSet}`] ?? {}
    const podEni = env['aws-node']?.[AWS_NODE.env.podEni]
    const mode = env['aws-node']?.[AWS_NODE.env.enforcingMode]
    const demux = env['aws-vpc-cni-init']?.[AWS_NODE.env.tcpEarlyDemux]
    return forModes(modes, (m): Outcome[] => {
      if (m === 'sidecar') return [] // only ambient SNATs probes to a link-local address
      if (podEni?.unresolved) return [{severity: 'unknown', subject: SUBJECT, message: `could not read ${AWS_NODE.env.podEni}: ${podEni.unresolved}`}]
      if (podEni?.value?.toLowerCase() !== 'true')
        return [
          {
            severity: 'pass',
            subject: SUBJECT,
            message: `pod ENI trunking is off (${AWS_NODE.env.podEni}=${podEni?.value ?? 'unset'}), so security groups for pods do not apply`,
          },
        ]
      if (sgps === null) return [{severity: 'pass', subject: SUBJECT, message: 'no SecurityGroupPolicy CRD is served, so no pod has its own security groups'}]
      const gaps = inventoryGaps(sgps, 'securitygrouppolicies')
      if (sgps.items.length === 0) {
        if (gaps.length > 0)
          return [{severity: 'unknown', subject: SUBJECT, message: `pod ENI trunking is on; could not list every SecurityGroupPolicy: ${gaps.join('; ')}`}]
        return [{severity: 'pass', subject: SUBJECT, message: 'pod ENI trunking is on but no SecurityGroupPolicy exists'}]
      }
      if (mode?.unresolved) return [{severity: 'unknown', subject: SUBJECT, message: `could not read ${AWS_NODE.env.enforcingMode}: ${mode.unresolved}`}]
      const sgpNames =
        sgps.items
          .slice(0, 3)
          .map((s) => `${s.namespace}/${s.name}`)
          .join(', ') + (sgps.items.length > 3 ? ', …' : '')
      const effective = mode?.value === undefined ? 'strict (unset, the default)' : mode.value
      if (mode?.value === 'standard')
        return [
          {severity: 'pass', subject: SUBJECT, message: `${AWS_NODE.env.enforcingMode}=standard with ${sgps.items.length} SecurityGroupPolicy (${sgpNames})`},
        ]
      const fix = branchEniFix(istio)
      const demuxOn = demux?.value?.toLowerCase() === 'true'
      const problem = `${AWS_NODE.env.podEni}=true, ${sgps.items.length} SecurityGroupPolicy (${sgpNames}) and ${AWS_NODE.env.enforcingMode}=${effective}: VPC CNI strict mode drops the link-local probe traffic ambient SNATs to 169.254.7.127`
      const remediation = {
        text: `Set standard mode and recycle the pods that have security groups (or use exec probes). On the EKS managed add-on, set it through the add-on configurationValues.`,
        command: SET_STANDARD,
      }
      const evidence = {
        enablePodEni: podEni.value ?? null,
        enforcingMode: mode?.value ?? null,
        disableTcpEarlyDemux: demux?.value ?? null,
        securityGroupPolicies: sgps.items.length,
      }
      if (fix.fixed !== false && demuxOn) {
        const which =
          fix.fixed === true ? `Istio ${istio.minor} routes probes around the branch ENI` : `Istio ${fix.from} and later route probes around the branch ENI`
        return [
          {
            severity: 'warn',
            subject: SUBJECT,
            message: `${problem}. ${which} when DISABLE_TCP_EARLY_DEMUX=true (set here), so probes should work; standard mode is still the documented setting`,
            remediation,
            evidence,
          },
        ]
      }
      const demuxNeeded = 'DISABLE_TCP_EARLY_DEMUX=true on the aws-vpc-cni-init container'
      const why =
        fix.fixed === false
          ? fix.from
            ? `Istio ${istio.minor}.${istio.patch} predates the workaround (Istio ${fix.from} and later, with ${demuxNeeded})`
            : `Istio ${istio.minor} has no workaround (istio/istio PR #59778 is in 1.28.7, 1.29.3 and 1.30+)`
          : `the Istio workaround needs ${demuxNeeded}${fix.fixed === undefined ? ` and Istio ${fix.from} or later` : ''}`
      return [{severity: 'fail', subject: SUBJECT, message: `${problem}; ${why}`, remediation, evidence}]
    })
  },
})
