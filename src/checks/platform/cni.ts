import {PLATFORM_BUILT_IN_CNI} from '../../knowledge/cni-signals.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {cniLabel} from '../../derive/platform/detect-cni.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

export const cniDetection = defineCheck<PlatformFacts>()({
  id: 'platform.cni',
  title: 'The CNI is identified',
  category: 'platform',
  needs: ['cni', 'detection'],
  source: "https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/ ; each CNI's DaemonSet as its own manifests name it",
  run: ({cni, detection}) => {
    const evidence = {primary: cni.primary?.id ?? null, components: cni.components.map((c) => `${cniLabel(c)}: ${c.signal}`)}
    const builtIn = PLATFORM_BUILT_IN_CNI[detection.platform]
    if (cni.primary === undefined && builtIn !== undefined && cni.gaps.length === 0)
      return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: builtIn, evidence}]
    if (cni.primary === undefined) {
      return [
        cni.gaps.length > 0
          ? {severity: 'unknown', subject: CLUSTER_SUBJECT, message: `could not identify the CNI: ${cni.gaps.join('; ')}`, evidence}
          : {
              severity: 'warn',
              subject: CLUSTER_SUBJECT,
              message: 'no known CNI found (no Cilium, Calico, VPC CNI, Azure CNI, kindnet, Flannel, OVN-Kubernetes or Multus signal)',
              remediation: {text: 'The CNI-specific Istio prerequisites could not be checked; compare your CNI with the Istio platform prerequisites by hand.'},
              evidence,
            },
      ]
    }
    const others = cni.components.filter((c) => c !== cni.primary).map((c) => cniLabel(c))
    const also = others.length > 0 ? `; also ${others.join(', ')}` : ''
    const where = cni.primary.namespace ? ` in ${cni.primary.namespace}` : ''
    return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `${cniLabel(cni.primary)}${where}, from ${cni.primary.signal}${also}`, evidence}]
  },
})
