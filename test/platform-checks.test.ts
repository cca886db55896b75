import {describe, expect, it} from 'vitest'
import type {PlatformAreaOptions} from '../src/pipeline/platform.js'
import {judgePlatform} from '../src/pipeline/platform.js'
import {platformChecks} from '../src/checks/platform/index.js'
import type {Finding} from '../src/model/finding.js'
import type {ClusterShape} from './platform-fixtures.js'
import {dsObject, inputsFrom, NODES} from './platform-fixtures.js'

type Raw = Record<string, unknown>

const judge = (shape: ClusterShape, options: Partial<PlatformAreaOptions> = {}) => judgePlatform(inputsFrom(shape), {istioVersion: '1.30', ...options})
const of = (findings: readonly Finding[], id: string) => findings.filter((f) => f.checkId === id)

const quota = (namespace: string, expressions: Raw[], status: Raw = {}): Raw => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: {namespace, name: 'critical'},
  spec: {hard: {pods: '1000'}, scopeSelector: {matchExpressions: expressions}},
  status,
})
const pc = (operator: string, values?: string[]) => ({scopeName: 'PriorityClass', operator, ...(values ? {values} : {})})
const ciliumConfig = (data: Record<string, string>, namespace = 'kube-system'): Raw => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {namespace, name: 'cilium-config'},
  data,
})
const CILIUM_DS = dsObject('kube-system', 'cilium', {image: 'quay.io/cilium/cilium:v1.16.3@sha256:abc', podLabels: {'k8s-app': 'cilium'}})
const netpol = (namespace: string, name: string, spec: Raw): Raw => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {namespace, name},
  spec,
})
const DENY_ALL: Raw = {podSelector: {}, policyTypes: ['Ingress']}
const ccnp = (name: string, spec: Raw): Raw => ({apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: {name}, spec})
const DOCS_CCNP = ccnp('allow-ambient-hostprobes', {
  enableDefaultDeny: {egress: false, ingress: false},
  endpointSelector: {},
  ingress: [{fromCIDR: ['169.254.7.127/32']}],
})

function awsNode(env: Raw[], initEnv: Raw[] = [], envFrom: Raw[] = []): Raw {
  return dsObject('kube-system', 'aws-node', {
    containers: [
      {name: 'aws-node', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1', env, envFrom},
      {name: 'aws-eks-nodeagent', image: 'x'},
    ],
    initContainers: [{name: 'aws-vpc-cni-init', image: 'y', env: initEnv}],
  })
}
const EKS: ClusterShape = {serverVersion: 'v1.30.2-eks-db838b0', nodes: [NODES.eksEc2], apiGroups: ['vpcresources.k8s.aws']}
const SGP = [{namespace: 'payments', name: 'pods-sg'}]
const ISTIOD: Raw = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {namespace: 'istio-system', name: 'istiod', labels: {app: 'istiod'}},
  spec: {template: {spec: {containers: [{name: 'discovery', image: 'docker.io/istio/pilot:1.30.1'}]}}},
}
/** The istio-cni-node DaemonSet as the chart renders it, with its hostPath volumes. */
function ISTIO_CNI_DS(paths: Record<string, string> = {'cni-bin-dir': '/opt/cni/bin', 'cni-net-dir': '/etc/cni/net.d'}): Raw {
  const ds = dsObject('istio-system', 'istio-cni-node', {
    containers: [{name: 'install-cni', image: 'docker.io/istio/install-cni:1.30.1'}],
    podLabels: {'k8s-app': 'istio-cni-node'},
  })
  const spec = (ds.spec as {template: {spec: Record<string, unknown>}}).template.spec
  spec.volumes = [...Object.entries(paths).map(([name, path]) => ({name, hostPath: {path}})), {name: 'cni-socket-dir', hostPath: {path: '/var/run/istio-cni'}}]
  return ds
}

interface Row {
  name: string
  shape: ClusterShape
  options?: Partial<PlatformAreaOptions>
  id: string
  /** [severity, message pattern] of every finding of the check, in order. */
  expected: Array<[string, RegExp]>
}

const rows: Row[] = [
  // EKS / VPC CNI security groups for pods (§3)
  {
    name: 'EKS strict (absent = strict) with SGP fails ambient only',
    shape: {...EKS, daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'true'}])], sgps: SGP},
    options: {istioVersion: '1.29', istioPatch: 1},
    id: 'platform.eks-pod-security-groups',
    expected: [
      [
        'fail',
        /^ambient: ENABLE_POD_ENI=true, 1 SecurityGroupPolicy \(payments\/pods-sg\) and POD_SECURITY_GROUP_ENFORCING_MODE=strict \(unset, the default\).*Istio 1\.29\.1 predates the workaround \(Istio 1\.29\.3 and later/,
      ],
    ],
  },
  {
    name: 'EKS standard passes',
    shape: {
      ...EKS,
      daemonSets: [
        awsNode([
          {name: 'ENABLE_POD_ENI', value: 'true'},
          {name: 'POD_SECURITY_GROUP_ENFORCING_MODE', value: 'standard'},
        ]),
      ],
      sgps: SGP,
    },
    id: 'platform.eks-pod-security-groups',
    expected: [['pass', /^ambient: POD_SECURITY_GROUP_ENFORCING_MODE=standard with 1 SecurityGroupPolicy/]],
  },
  {
    name: 'EKS strict without any SGP passes',
    shape: {...EKS, daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'true'}])], sgps: []},
    id: 'platform.eks-pod-security-groups',
    expected: [['pass', /no SecurityGroupPolicy exists/]],
  },
  {
    name: 'EKS strict with SGP on Istio 1.30 and DISABLE_TCP_EARLY_DEMUX=true on the init container is a warning (PR #59778)',
    shape: {...EKS, daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'true'}], [{name: 'DISABLE_TCP_EARLY_DEMUX', value: 'true'}])], sgps: SGP},
    id: 'platform.eks-pod-security-groups',
    expected: [['warn', /Istio 1\.30 routes probes around the branch ENI/]],
  },
  {
    name: 'EKS strict with SGP on Istio 1.28.6 with the demux setting still fails (fix is in 1.28.7)',
    shape: {...EKS, daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'true'}], [{name: 'DISABLE_TCP_EARLY_DEMUX', value: 'true'}])], sgps: SGP},
    options: {istioVersion: '1.28', istioPatch: 6},
    id: 'platform.eks-pod-security-groups',
    expected: [['fail', /Istio 1\.28\.6 predates the workaround \(Istio 1\.28\.7 and later, with DISABLE_TCP_EARLY_DEMUX=true/]],
  },
  {
    name: 'EKS ENABLE_POD_ENI from a ConfigMap (valueFrom) is resolved',
    shape: {
      ...EKS,
      daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', valueFrom: {configMapKeyRef: {name: 'cni-settings', key: 'podEni'}}}])],
      envObjects: {'configMap/cni-settings': {podEni: 'true'}},
      sgps: SGP,
    },
    id: 'platform.eks-pod-security-groups',
    expected: [['fail', /ENABLE_POD_ENI=true/]],
  },
  {
    name: 'EKS enforcing mode from envFrom of a Secret is resolved',
    shape: {
      ...EKS,
      daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'true'}], [], [{secretRef: {name: 'cni-secret'}}])],
      envObjects: {'secret/cni-secret': {POD_SECURITY_GROUP_ENFORCING_MODE: 'standard'}},
      sgps: SGP,
    },
    id: 'platform.eks-pod-security-groups',
    expected: [['pass', /=standard/]],
  },
  {
    name: 'EKS env from an unreadable ConfigMap is unknown, naming the permission',
    shape: {
      ...EKS,
      daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', valueFrom: {configMapKeyRef: {name: 'cni-settings', key: 'podEni'}}}])],
      envObjects: {'configMap/cni-settings': 'forbidden: you may not get configmaps in namespace kube-system'},
      sgps: SGP,
    },
    id: 'platform.eks-pod-security-groups',
    expected: [['unknown', /could not read ENABLE_POD_ENI: forbidden: you may not get configmaps in namespace kube-system/]],
  },
  {
    name: 'EKS trunking off passes',
    shape: {...EKS, daemonSets: [awsNode([{name: 'ENABLE_POD_ENI', value: 'false'}])], sgps: SGP},
    id: 'platform.eks-pod-security-groups',
    expected: [['pass', /pod ENI trunking is off \(ENABLE_POD_ENI=false\)/]],
  },
  {name: 'not the VPC CNI: skipped', shape: {nodes: [NODES.kind]}, id: 'platform.eks-pod-security-groups', expected: [['skip', /not installed/]]},
  {
    name: 'EKS where kube-system cannot be read: unknown naming the permission',
    shape: {...EKS, denied: {'kube-system': 'forbidden: you may not list daemonsets.apps in namespace kube-system'}},
    id: 'platform.eks-pod-security-groups',
    expected: [['unknown', /list daemonsets\.apps in namespace kube-system/]],
  },

  // GKE system-node-critical quota (§5)
  {
    name: 'GKE, Istio 1.25, no quota in istio-system: fail with the quota YAML',
    shape: {
      serverVersion: 'v1.29.6-gke.1038001',
      nodes: [NODES.gke],
      namespaces: ['istio-system', 'kube-system'],
      dryRun: 'forbidden: you may not create pods in namespace istio-system',
    },
    options: {istioVersion: '1.25', modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [
      ['fail', /GKE admits system-node-critical pods \(istio-cni, ztunnel\) only in namespaces with a matching quota and istio-system has no ResourceQuota/],
    ],
  },
  ...(
    [
      ['In', pc('In', ['system-node-critical']), 'pass'],
      ['In (other classes)', pc('In', ['system-cluster-critical']), 'fail'],
      ['NotIn (another class)', pc('NotIn', ['system-cluster-critical']), 'pass'],
      ['NotIn (this class)', pc('NotIn', ['system-node-critical']), 'fail'],
      ['Exists', pc('Exists'), 'pass'],
      ['DoesNotExist', pc('DoesNotExist'), 'fail'],
    ] as const
  ).map(
    ([operator, expression, severity]): Row => ({
      name: `GKE, Istio 1.25, quota scopeSelector ${operator} → ${severity}`,
      shape: {
        serverVersion: 'v1.29.6-gke.1038001',
        nodes: [NODES.gke],
        namespaces: ['istio-system'],
        quotas: [quota('istio-system', [expression])],
        dryRun: 'forbidden: you may not create pods in namespace istio-system',
      },
      options: {istioVersion: '1.25', modes: ['ambient']},
      id: 'platform.system-node-critical-quota',
      expected: [
        [severity, severity === 'pass' ? /ResourceQuota critical admits system-node-critical in istio-system/ : /only in namespaces with a matching quota/],
      ],
    }),
  ),
  {
    name: 'GKE, Istio 1.30 with global.platform=gke: the chart creates the quota, no duplicate',
    shape: {serverVersion: 'v1.29.6-gke.1038001', nodes: [NODES.gke]},
    options: {modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [['pass', /creates the system-node-critical ResourceQuotas in istio-system itself; do not create a duplicate/]],
  },
  {
    name: 'a dry-run refused by a quota on a non-GKE cluster fails too (the gate is not GKE-only)',
    shape: {
      nodes: [NODES.kind],
      namespaces: ['istio-system'],
      dryRun: {
        outcome: 'rejected',
        by: 'quota',
        message: 'pods "x" is forbidden: insufficient quota to match these scopes: [{PriorityClass In [system-node-critical]}]',
      },
    },
    options: {modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [['fail', /this cluster admits .* the dry-run was refused: pods "x" is forbidden: insufficient quota/]],
  },
  {
    name: 'a dry-run admitted is authoritative',
    shape: {serverVersion: 'v1.29.6-gke.1038001', nodes: [NODES.gke], namespaces: ['istio-system'], dryRun: {outcome: 'admitted'}},
    options: {istioVersion: '1.25', modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [['pass', /confirmed by a server-side dry-run pod create/]],
  },
  {
    name: 'the quota is full: warn',
    shape: {
      serverVersion: 'v1.29.6-gke.1038001',
      nodes: [NODES.gke],
      namespaces: ['istio-system'],
      quotas: [quota('istio-system', [pc('In', ['system-node-critical'])], {hard: {pods: '1k'}, used: {pods: '1k'}})],
    },
    options: {istioVersion: '1.25', modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [['warn', /has no pods left/]],
  },
  {
    name: 'quotas unreadable and no dry-run: unknown with both reasons',
    shape: {
      serverVersion: 'v1.29.6-gke.1038001',
      nodes: [NODES.gke],
      unavailable: {resourceQuotas: 'forbidden: you may not list resourcequotas in namespace istio-system'},
      dryRun: 'forbidden: you may not create pods in namespace istio-system',
    },
    options: {istioVersion: '1.25', modes: ['ambient']},
    id: 'platform.system-node-critical-quota',
    expected: [['unknown', /list resourcequotas in namespace istio-system; forbidden: you may not create pods/]],
  },
  {
    name: 'kind needs no quota',
    shape: {nodes: [NODES.kind], namespaces: ['istio-system'], dryRun: {outcome: 'admitted'}},
    id: 'platform.system-node-critical-quota',
    expected: [['pass', /^ambient: system-node-critical pods are admitted in istio-system \(confirmed by a server-side dry-run pod create\)$/]],
  },

  // Cilium (§4)
  {
    name: 'Cilium 1.16 cni-exclusive true fails ambient (the agent rewrites its conflist since 1.14); sidecar with istio-init is not affected',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({'cni-exclusive': 'true'})]},
    id: 'platform.cilium-cni-exclusive',
    expected: [
      [
        'fail',
        /^ambient: cni-exclusive: "true" in kube-system\/cilium-config and the ambient install uses istio-cni: on Cilium 1\.16\.3 the agent owns the CNI configuration directory: it renames other CNI configurations to \*\.cilium_bak and rewrites its own 05-cilium\.conflist/,
      ],
    ],
  },
  {
    name: 'Cilium cni-exclusive true with istio-cni already installed for sidecars fails in both modes',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS, ISTIO_CNI_DS()], deployments: [ISTIOD], configMaps: [ciliumConfig({'cni-exclusive': 'true'})]},
    id: 'platform.cilium-cni-exclusive',
    expected: [
      ['fail', /^cni-exclusive: "true" in kube-system\/cilium-config and istio-cni is installed \(istio-system\/istio-cni-node\): on Cilium 1\.16\.3/],
    ],
  },
  {
    name: 'Cilium 1.13 cni-exclusive true only warns: the install script rewrites the conflist at agent start, istio-cni re-inserts itself',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [dsObject('kube-system', 'cilium', {image: 'quay.io/cilium/cilium:v1.13.4'})],
      configMaps: [ciliumConfig({'cni-exclusive': 'true'})],
    },
    options: {modes: ['ambient']},
    id: 'platform.cilium-cni-exclusive',
    expected: [['warn', /on Cilium 1\.13\.4 the install script renames other CNI configurations .* at every agent start/]],
  },
  {
    name: 'Cilium 1.9 predates CNI exclusivity',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [dsObject('kube-system', 'cilium', {image: 'quay.io/cilium/cilium:v1.9.18'})],
      configMaps: [ciliumConfig({'cni-exclusive': 'true'})],
    },
    options: {modes: ['ambient']},
    id: 'platform.cilium-cni-exclusive',
    expected: [['pass', /Cilium 1\.9\.18 predates CNI exclusivity/]],
  },
  {
    name: 'Cilium without a visible version is judged as 1.14 or later',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [dsObject('kube-system', 'cilium', {image: 'quay.io/cilium/cilium@sha256:abc'})],
      configMaps: [ciliumConfig({'cni-exclusive': 'true'})],
    },
    options: {modes: ['ambient']},
    id: 'platform.cilium-cni-exclusive',
    expected: [['fail', /Cilium \(version not visible, judged as 1\.14 or later\)/]],
  },
  {
    name: 'Cilium cni-exclusive absent means the agent default false',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({'cni-chaining-mode': 'none'})]},
    id: 'platform.cilium-cni-exclusive',
    expected: [['pass', /no cni-exclusive key .* agent default false applies/]],
  },
  {
    name: 'Cilium config in another namespace is found',
    shape: {nodes: [NODES.plain], daemonSets: [dsObject('cilium', 'cilium')], configMaps: [ciliumConfig({'cni-exclusive': 'false'}, 'cilium')]},
    id: 'platform.cilium-cni-exclusive',
    expected: [['pass', /cni-exclusive: "false" in cilium\/cilium-config/]],
  },
  {
    name: 'no Cilium: skipped',
    shape: {nodes: [NODES.kind], daemonSets: [dsObject('kube-system', 'kindnet')]},
    id: 'platform.cilium-cni-exclusive',
    expected: [['skip', /Cilium is not installed/]],
  },
  {
    name: 'GKE Dataplane V2 (anetd) is managed: skipped',
    shape: {serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke], daemonSets: [dsObject('kube-system', 'anetd', {podLabels: {'k8s-app': 'cilium'}})]},
    id: 'platform.cilium-cni-exclusive',
    expected: [['skip', /GKE Dataplane V2/]],
  },
  {
    name: 'Cilium BPF masquerade fails ambient',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({'enable-bpf-masquerade': 'true'})]},
    id: 'platform.cilium-bpf-masquerade',
    expected: [['fail', /^ambient: enable-bpf-masquerade: "true"/]],
  },
  {
    name: 'Cilium KPR without hostns-only fails both modes',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({'kube-proxy-replacement': 'true'})]},
    id: 'platform.cilium-kube-proxy-replacement',
    expected: [['fail', /^kube-proxy-replacement: "true" without bpf-lb-sock-hostns-only: "true"/]],
  },
  {
    name: 'Cilium KPR with hostns-only: sidecar pass, ambient warn (#57911)',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({'kube-proxy-replacement': 'true', 'bpf-lb-sock-hostns-only': 'true'})]},
    id: 'platform.cilium-kube-proxy-replacement',
    expected: [
      ['pass', /^sidecar: kube-proxy replacement with bpf-lb-sock-hostns-only/],
      ['warn', /^ambient: .*istio\/istio#57911/],
    ],
  },
  {
    name: 'Cilium default-deny NetworkPolicy without the CCNP fails ambient',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [CILIUM_DS],
      configMaps: [ciliumConfig({})],
      apiGroups: ['cilium.io'],
      ciliumPolicies: {clusterwide: [], namespaced: []},
      networkPolicies: [netpol('shop', 'deny-all', DENY_ALL)],
    },
    id: 'platform.cilium-host-probe-policy',
    expected: [['fail', /default-deny under Cilium \(NetworkPolicy shop\/deny-all\) and no CiliumClusterwideNetworkPolicy admits 169\.254\.7\.127/]],
  },
  {
    name: 'Cilium default-deny with the docs CCNP passes',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [CILIUM_DS],
      configMaps: [ciliumConfig({})],
      ciliumPolicies: {clusterwide: [DOCS_CCNP], namespaced: []},
      networkPolicies: [netpol('shop', 'deny-all', DENY_ALL)],
    },
    id: 'platform.cilium-host-probe-policy',
    expected: [['pass', /allow-ambient-hostprobes admits 169\.254\.7\.127/]],
  },
  {
    name: 'Cilium policy enforcement "always" with an old-docs CCNP (no enableDefaultDeny) warns',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [CILIUM_DS],
      configMaps: [ciliumConfig({'enable-policy': 'always'})],
      ciliumPolicies: {clusterwide: [ccnp('old', {endpointSelector: {}, ingress: [{fromCIDRSet: [{cidr: '169.254.0.0/16'}]}]})], namespaced: []},
    },
    id: 'platform.cilium-host-probe-policy',
    expected: [['warn', /old admits the probe address but does not set enableDefaultDeny\.ingress: false/]],
  },
  {
    name: 'Cilium on IPv6 nodes needs the IPv6 SNAT address too',
    shape: {
      nodes: [{...NODES.plain, podCIDRs: ['10.0.0.0/24', 'fd00::/64']}],
      daemonSets: [CILIUM_DS],
      configMaps: [ciliumConfig({})],
      ciliumPolicies: {clusterwide: [DOCS_CCNP], namespaced: []},
      networkPolicies: [netpol('shop', 'deny-all', DENY_ALL)],
    },
    id: 'platform.cilium-host-probe-policy',
    expected: [['fail', /admits 169\.254\.7\.127 and fd16:9254:7127:1337:ffff:ffff:ffff:ffff/]],
  },
  {
    name: 'Cilium without default-deny needs no CCNP',
    shape: {nodes: [NODES.plain], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({})]},
    id: 'platform.cilium-host-probe-policy',
    expected: [['pass', /no default-deny policy/]],
  },

  // NetworkPolicies, any CNI (§6.3)
  {
    name: 'a deny-all policy in an ambient namespace fails; in another namespace warns; kube-system is never captured',
    shape: {
      nodes: [NODES.kind],
      namespaces: [{name: 'shop', labels: {'istio.io/dataplane-mode': 'ambient'}}, 'web', 'kube-system'],
      networkPolicies: [
        netpol('shop', 'deny-all', DENY_ALL),
        netpol('web', 'only-frontend', {podSelector: {matchLabels: {app: 'api'}}, ingress: [{from: [{podSelector: {matchLabels: {app: 'frontend'}}}]}]}),
        netpol('kube-system', 'deny', DENY_ALL),
      ],
    },
    id: 'platform.network-policy-probe-snat',
    expected: [
      ['fail', /^ambient: NetworkPolicy deny-all restricts ingress without admitting 169\.254\.7\.127: kubelet probes of this ambient namespace will fail$/],
      [
        'warn',
        /^ambient: 1 namespace not in ambient yet has NetworkPolicies that drop 169\.254\.7\.127: web \(only-frontend\); their kubelet probes fail once enrolled$/,
      ],
    ],
  },
  {
    name: 'an allow policy for the SNAT address selecting every pod covers the namespace (policies are additive)',
    shape: {
      nodes: [NODES.kind],
      networkPolicies: [
        netpol('shop', 'deny-all', DENY_ALL),
        netpol('shop', 'allow-probes', {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: '169.254.0.0/16'}}]}]}),
      ],
    },
    id: 'platform.network-policy-probe-snat',
    expected: [['pass', /no NetworkPolicy anywhere would block 169\.254\.7\.127 \(2 policies\)/]],
  },
  {
    name: 'an ipBlock whose except removes the address does not admit it',
    shape: {
      nodes: [NODES.kind],
      networkPolicies: [netpol('shop', 'x', {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: '169.254.0.0/16', except: ['169.254.7.0/24']}}]}]})],
    },
    id: 'platform.network-policy-probe-snat',
    expected: [['warn', /: shop \(x\);/]],
  },
  {
    name: 'egress-only policies do not matter; a rule without from admits everything',
    shape: {
      nodes: [NODES.kind],
      networkPolicies: [
        netpol('shop', 'egress', {podSelector: {}, policyTypes: ['Egress']}),
        netpol('shop', 'open', {podSelector: {}, ingress: [{ports: [{port: 8080}]}]}),
      ],
    },
    id: 'platform.network-policy-probe-snat',
    expected: [['pass', /no NetworkPolicy/]],
  },

  // Other platforms
  {
    name: 'GKE Autopilot: ambient unavailable, sidecar needs NET_ADMIN',
    shape: {serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke], webhooks: ['sasecret-redacter.config.common-webhooks.networking.gke.io']},
    id: 'platform.mode-support',
    expected: [
      ['warn', /^sidecar: GKE Autopilot runs sidecars only with istio-init/],
      ['fail', /^ambient: GKE Autopilot does not allow the istio-cni node agent/],
    ],
  },
  {
    name: 'Docker Desktop: ambient unsupported',
    shape: {nodes: [NODES.dockerDesktop]},
    id: 'platform.mode-support',
    expected: [
      ['pass', /^sidecar: no known restriction on Docker Desktop/],
      ['fail', /^ambient: Docker Desktop ships CNI plugins/],
    ],
  },
  {
    name: 'kind: no restriction in either mode (merged)',
    shape: {nodes: [NODES.kind]},
    id: 'platform.mode-support',
    expected: [['pass', /^no known restriction on kind$/]],
  },
  {
    name: 'AKS Istio add-on present: warn both modes',
    shape: {nodes: [NODES.aks], namespaces: ['aks-istio-system']},
    id: 'platform.mode-support',
    expected: [['warn', /^the AKS Istio add-on already runs istiod/]],
  },
  {
    name: 'Talos: Pod Security baseline everywhere but kube-system',
    shape: {nodes: [NODES.talos], namespaces: ['istio-system']},
    id: 'platform.pod-security-admission',
    expected: [
      ['fail', /Talos enforces Pod Security "baseline" .* istio-system has no enforce label: istio-cni would be rejected/],
      ['fail', /istio-cni and ztunnel would be rejected/],
    ],
  },
  {
    name: 'Talos with the namespace labelled privileged passes',
    shape: {nodes: [NODES.talos], namespaces: [{name: 'istio-system', labels: {'pod-security.kubernetes.io/enforce': 'privileged'}}]},
    id: 'platform.pod-security-admission',
    expected: [['pass', /^pod-security\.kubernetes\.io\/enforce=privileged$/]],
  },
  {
    name: 'an explicit restricted label fails on any platform',
    shape: {nodes: [NODES.kind], namespaces: [{name: 'istio-system', labels: {'pod-security.kubernetes.io/enforce': 'restricted'}}]},
    options: {modes: ['ambient']},
    id: 'platform.pod-security-admission',
    expected: [['fail', /enforce=restricted: istio-cni and ztunnel/]],
  },
  {
    name: 'gVisor RuntimeClass with ambient warns',
    shape: {nodes: [NODES.kind], runtimeClasses: [{apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: {name: 'gvisor'}, handler: 'runsc'}]},
    id: 'platform.gvisor-runtime-class',
    expected: [['warn', /^ambient: RuntimeClass gvisor \(handler runsc\)/]],
  },
  {
    name: 'OpenShift OVN-Kubernetes in shared gateway mode fails ambient',
    shape: {nodes: [NODES.openshiftOnAws], apiGroups: ['config.openshift.io', 'route.openshift.io'], openshiftNetwork: {networkType: 'OVNKubernetes'}},
    id: 'platform.openshift-ovn-gateway-mode',
    expected: [['fail', /^ambient: OVN-Kubernetes runs in shared gateway mode \(routingViaHost: not set\)/]],
  },
  {
    name: 'OpenShift with routingViaHost passes',
    shape: {nodes: [NODES.openshiftOnAws], apiGroups: ['config.openshift.io'], openshiftNetwork: {networkType: 'OVNKubernetes', routingViaHost: true}},
    id: 'platform.openshift-ovn-gateway-mode',
    expected: [['pass', /local gateway mode/]],
  },
  {
    name: 'Calico 3.29 eBPF dataplane (operator) without CTLB disabled warns for ambient',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [dsObject('calico-system', 'calico-node', {image: 'docker.io/calico/node:v3.29.1'})],
      apiGroups: ['operator.tigera.io'],
      calico: {linuxDataplane: 'BPF'},
    },
    id: 'platform.calico-bpf-dataplane',
    expected: [['warn', /^ambient: Calico runs the eBPF dataplane with connect-time load balancing at its default/]],
  },
  {
    name: 'Calico 3.28.2 eBPF (manifest, FELIX_BPFENABLED) with CTLB disabled passes',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [
        dsObject('kube-system', 'calico-node', {
          containers: [{name: 'calico-node', image: 'calico/node:v3.28.2', env: [{name: 'FELIX_BPFENABLED', value: 'true'}]}],
        }),
      ],
      calico: {felixConnectTimeLb: 'Disabled'},
    },
    id: 'platform.calico-bpf-dataplane',
    expected: [['pass', /connect-time load balancing disabled/]],
  },
  ...(
    [
      ['3.28.1', 'fail'],
      ['3.27.3', 'fail'],
      ['3.28.2', 'pass'],
      ['3.29.0', 'pass'],
      ['3.30.2', 'pass'],
    ] as const
  ).map(
    ([version, severity]): Row => ({
      name: `Calico ${version} eBPF with CTLB disabled: ${severity} (ambient probes fixed in 3.28.2 and 3.29.0, istio/istio#52765)`,
      shape: {
        nodes: [NODES.plain],
        daemonSets: [dsObject('calico-system', 'calico-node', {image: `quay.io/calico/node:v${version}`})],
        apiGroups: ['operator.tigera.io'],
        calico: {linuxDataplane: 'BPF', felixConnectTimeLb: 'Disabled'},
      },
      id: 'platform.calico-bpf-dataplane',
      expected: [
        [
          severity,
          severity === 'fail'
            ? new RegExp(
                `^ambient: Calico ${version.replaceAll('.', '\\.')} with the eBPF dataplane: the eBPF dataplane drops the kubelet probes ambient SNATs to 169\\.254\\.7\\.127.*fixed in 3\\.28\\.2 and 3\\.29\\.0`,
              )
            : /connect-time load balancing disabled/,
        ],
      ],
    }),
  ),
  {
    name: 'Calico eBPF with no visible version: judged on its settings only',
    shape: {
      nodes: [NODES.plain],
      daemonSets: [dsObject('calico-system', 'calico-node', {image: 'quay.io/calico/node@sha256:abc'})],
      calico: {linuxDataplane: 'BPF', felixConnectTimeLb: 'Disabled'},
    },
    id: 'platform.calico-bpf-dataplane',
    expected: [['pass', /connect-time load balancing disabled/]],
  },
  {
    name: 'K3s v1.30.5 with a custom CNI: sidecars with istio-init need no paths (pass); ambient warns with the explicit paths for that K3s release',
    shape: {nodes: [NODES.k3sCustomCni], daemonSets: [CILIUM_DS], configMaps: [ciliumConfig({})]},
    id: 'platform.install-values',
    expected: [
      [
        'pass',
        /^sidecar: K3s: set cni\.cniConfDir=\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d, cni\.cniBinDir=\/var\/lib\/rancher\/k3s\/data\/current\/bin\/.*Sidecars with istio-init write no CNI files/,
      ],
      [
        'warn',
        /^ambient: K3s: install with these values, the chart defaults \(\/opt\/cni\/bin and \/etc\/cni\/net\.d\) will fail here: set cni\.cniConfDir=.*istioctl: --set profile=ambient --set values\.cni\.cniConfDir=/,
      ],
    ],
  },
  ...(
    [
      ['K3s', NODES.k3s, 'v1.30.5+k3s1', '/var/lib/rancher/k3s/data/current/bin/'],
      ['K3s', NODES.k3s, 'v1.30.6+k3s1', '/var/lib/rancher/k3s/data/cni'],
      ['MicroK8s', NODES.microk8s, 'v1.31.2', '/var/snap/microk8s/current/opt/cni/bin'],
      ['k3d', NODES.k3d, 'v1.31.6+k3s1', '/bin'],
      ['k3d', NODES.k3d, 'v1.31.7+k3s1', '/var/lib/rancher/k3s/data/cni'],
    ] as const
  ).flatMap(([name, node, kubelet, binDir]): Row[] => {
    const nodes = [{...node, kubeletVersion: kubelet}]
    const cniDs = (bin: string) =>
      ISTIO_CNI_DS({
        'cni-bin-dir': bin,
        'cni-net-dir': name === 'MicroK8s' ? '/var/snap/microk8s/current/args/cni-network' : '/var/lib/rancher/k3s/agent/etc/cni/net.d',
      })
    const bin = binDir.replaceAll('/', '\\/').replaceAll('.', '\\.')
    return [
      {
        name: `${name} ${kubelet}, no Istio: ambient warns (the defaults fail), sidecar passes`,
        shape: {nodes},
        id: 'platform.install-values',
        expected: [
          ['pass', new RegExp(`^sidecar: ${name}: .*Sidecars with istio-init write no CNI files`)],
          ['warn', new RegExp(`^ambient: ${name}: install with these values, the chart defaults .* will fail here`)],
        ],
      },
      {
        name: `${name} ${kubelet}, istio-cni installed with the right paths: pass`,
        shape: {nodes, daemonSets: [cniDs(binDir)], deployments: [ISTIOD]},
        id: 'platform.install-values',
        expected: [['pass', new RegExp(`^istio-cni in istio-system mounts the ${name} CNI directories \\(cni-bin-dir ${bin}, `)]],
      },
      {
        name: `${name} ${kubelet}, istio-cni installed with the chart defaults: fail in both modes`,
        shape: {nodes, daemonSets: [cniDs('/opt/cni/bin')], deployments: [ISTIOD]},
        id: 'platform.install-values',
        expected: [
          [
            'fail',
            new RegExp(
              `^istio-cni in istio-system was installed without the ${name} paths: cniBinDir is /opt/cni/bin, ${name}( ${kubelet.replaceAll('.', '\\.').replace('+', '\\+')})? needs ${bin}`,
            ),
          ],
        ],
      },
    ]
  }),
]

describe('platform checks, table-driven over cluster shapes', () => {
  it.each(rows)('$id: $name', (row) => {
    const result = judge(row.shape, row.options)
    const got = of(result.findings, row.id).map((f) => [f.severity, f.message])
    expect(got, JSON.stringify(got)).toHaveLength(row.expected.length)
    row.expected.forEach(([severity, pattern], i) => {
      expect(got[i]![0], String(got[i]![1])).toBe(severity)
      expect(got[i]![1]).toMatch(pattern)
    })
  })

  it('every failing or warning finding names a fix', () => {
    for (const row of rows) {
      for (const f of judge(row.shape, row.options).findings) {
        if (f.severity === 'fail' || f.severity === 'warn') expect(f.remediation?.text, `${f.checkId}: ${f.message}`).toBeTruthy()
      }
    }
  })

  it('the check list is sorted by id and every id is platform.<slug> with a source', () => {
    const ids = platformChecks.map((c) => c.id)
    expect(ids).toEqual([...ids].sort())
    for (const c of platformChecks) {
      expect(c.id).toMatch(/^platform\.[a-z0-9-]+$/)
      expect(c.source.length).toBeGreaterThan(10)
    }
  })

  it('judges every check even when the caller may not read kube-system: the rest still runs', () => {
    const denied = 'forbidden: you may not list daemonsets.apps in namespace kube-system'
    const result = judge({...EKS, denied: {'kube-system': denied}, namespaces: ['shop'], networkPolicies: [netpol('shop', 'deny-all', DENY_ALL)]})
    const byId = (id: string) => of(result.findings, id)
    expect(byId('platform.detection')[0]).toMatchObject({severity: 'pass'})
    expect(byId('platform.detection')[0]!.message).toMatch(/^EKS, high confidence/)
    expect(byId('platform.cni')[0]).toMatchObject({severity: 'unknown'})
    expect(byId('platform.cni')[0]!.message).toContain(denied)
    expect(byId('platform.network-policy-probe-snat').map((f) => f.severity)).toContain('warn')
    expect(new Set(result.findings.map((f) => f.checkId)).size).toBe(platformChecks.length)
  })

  it('a fact that could not be read makes its checks unknown with the reason, not missing', () => {
    const result = judge({nodes: [NODES.kind], unavailable: {runtimeClasses: 'forbidden: you may not list runtimeclasses.node.k8s.io (cluster-wide)'}})
    expect(of(result.findings, 'platform.gvisor-runtime-class')).toMatchObject([
      {severity: 'unknown', message: 'forbidden: you may not list runtimeclasses.node.k8s.io (cluster-wide)'},
    ])
  })

  it('shows the modes side by side in a view', () => {
    const result = judge({nodes: [NODES.dockerDesktop]})
    const view = result.views!.find((v) => v.title === 'Platform checks by mode')!
    expect(view.headers).toEqual(['CHECK', 'SIDECAR', 'AMBIENT'])
    expect(view.rows).toContainEqual(['mode support', 'PASS', 'FAIL'])
    expect(view.rows).toContainEqual(['gvisor runtime class', '-', 'PASS'])
    expect(view.rows.some((r) => r[0] === 'eks pod security groups')).toBe(false) // skipped everywhere
  })
})

describe('findings about one mode, judged against the install plan', () => {
  const shape: ClusterShape = {
    nodes: [NODES.dockerDesktop],
    runtimeClasses: [{apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: {name: 'gvisor'}, handler: 'runsc'}],
  }

  it('sets mode on findings about exactly one mode, null on findings that hold for both', () => {
    const findings = judge(shape).findings
    const support = of(findings, 'platform.mode-support')
    expect(support.map((f) => [f.mode, f.severity])).toEqual(
      expect.arrayContaining([
        ['sidecar', 'pass'],
        ['ambient', 'fail'],
      ]),
    )
    expect(of(findings, 'platform.detection')[0]!.mode).toBeNull()
    expect(of(findings, 'platform.gvisor-runtime-class')[0]).toMatchObject({mode: 'ambient', severity: 'warn'})
  })

  it.each([
    ['no plan given: every judged mode is planned', {}, {sidecar: true, ambient: true}],
    ['plannedModes [sidecar]: ambient findings are information', {plannedModes: ['sidecar'] as const}, {sidecar: true, ambient: false}],
    ['plan {modes: [ambient]}: sidecar findings are information', {plan: {modes: ['ambient'] as const}}, {sidecar: false, ambient: true}],
    ['plannedModes wins over plan', {plannedModes: ['sidecar'] as const, plan: {modes: ['ambient'] as const}}, {sidecar: true, ambient: false}],
  ])('%s', (_name, options, planned) => {
    const findings = judge(shape, options).findings
    for (const f of findings) {
      if (f.mode === null) expect(f.planned, `${f.checkId} ${f.message}`).toBe(true)
      else expect(f.planned, `${f.checkId} ${f.message}`).toBe(planned[f.mode])
    }
    expect(findings.some((f) => f.mode === 'ambient' && f.severity === 'fail')).toBe(true)
  })
})

describe('platform coverage', () => {
  it.each([
    ['a normal read', {nodes: [NODES.kind]}, 1, undefined],
    [
      'only nodes refused: still judged, the reason named',
      {nodes: [NODES.kind], unavailable: {nodes: 'forbidden: you may not list nodes (cluster-wide)'}},
      1,
      /not read: forbidden: you may not list nodes/,
    ],
    [
      'nodes, DaemonSets and namespaces all refused and no platform signal: nothing judged',
      {unavailable: {nodes: 'forbidden: nodes', daemonSets: 'forbidden: daemonsets', namespaces: 'forbidden: namespaces'}},
      0,
      /^nothing could be read: forbidden: nodes; forbidden: daemonsets; forbidden: namespaces$/,
    ],
    [
      'all refused but the server version names GKE: judged',
      {serverVersion: 'v1.30.3-gke.1', unavailable: {nodes: 'forbidden: nodes', daemonSets: 'forbidden: daemonsets', namespaces: 'forbidden: namespaces'}},
      1,
      /not read/,
    ],
  ] as const)('%s', (_name, shape, judged, reason) => {
    const coverage = judge(shape as ClusterShape).coverage!
    expect(coverage).toMatchObject({area: 'platform', judged, unit: 'platform detection'})
    if (reason) expect(coverage.reason).toMatch(reason)
    else expect(coverage.reason).toBeUndefined()
  })
})

describe('alternatives for the verdict line', () => {
  it('summarises each judged mode outside the plan from its own findings', () => {
    const result = judge({nodes: [NODES.dockerDesktop]}, {plannedModes: ['sidecar']})
    expect(result.alternatives).toEqual([{label: 'ambient', verdict: 'not-ready', detail: 'on the platform (mode-support)'}])
    expect(judge({nodes: [NODES.kind]}, {plannedModes: ['sidecar']}).alternatives).toEqual([{label: 'ambient', verdict: 'ready'}])
    expect(judge({nodes: [NODES.kind]}).alternatives).toEqual([])
  })
})

describe('platform coverage when lists were refused cluster-wide and in every namespace', () => {
  it('counts a kind refused in every namespace as not read', () => {
    const denied = {'kube-system': 'forbidden: daemonsets in kube-system', 'istio-system': 'forbidden: daemonsets in istio-system'}
    const coverage = judge({denied, unavailable: {nodes: 'forbidden: nodes', namespaces: 'forbidden: namespaces'}}).coverage!
    expect(coverage.judged).toBe(0)
    expect(coverage.reason).toMatch(/^nothing could be read: forbidden: nodes; forbidden: you may not list them \(cluster-wide\); forbidden: namespaces$/)
  })
})
