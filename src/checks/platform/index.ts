import {calicoBpfDataplane} from './calico-bpf-dataplane.js'
import {ciliumBpfMasquerade} from './cilium-bpf-masquerade.js'
import {ciliumCniExclusive} from './cilium-cni-exclusive.js'
import {ciliumHostProbePolicy} from './cilium-host-probe-policy.js'
import {ciliumKubeProxyReplacement} from './cilium-kube-proxy-replacement.js'
import {cniDetection} from './cni.js'
import {platformDetection} from './detection.js'
import {eksPodSecurityGroups} from './eks-pod-security-groups.js'
import {gvisorRuntimeClass} from './gvisor-runtime-class.js'
import {installValues} from './install-values.js'
import {installedIstio} from './installed-istio.js'
import {modeSupport} from './mode-support.js'
import {networkPolicyProbeSnat} from './network-policy-probe-snat.js'
import {openshiftOvnGatewayMode} from './openshift-ovn-gateway-mode.js'
import {podSecurityAdmission} from './pod-security-admission.js'
import {systemNodeCriticalQuota} from './system-node-critical-quota.js'

/** Sorted by id. */
export const platformChecks = [
  calicoBpfDataplane,
  ciliumBpfMasquerade,
  ciliumCniExclusive,
  ciliumHostProbePolicy,
  ciliumKubeProxyReplacement,
  cniDetection,
  platformDetection,
  eksPodSecurityGroups,
  gvisorRuntimeClass,
  installValues,
  installedIstio,
  modeSupport,
  networkPolicyProbeSnat,
  openshiftOvnGatewayMode,
  podSecurityAdmission,
  systemNodeCriticalQuota,
] as const
