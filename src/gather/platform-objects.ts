/**
 * Pure converters from raw Kubernetes objects (plain JSON from the API) to the slim shapes the platform checks read.
 * Keeping only what the checks need keeps 5,000-node clusters cheap and makes the checks' inputs obvious.
 */

import type {JsonObject} from '../model/json.js'
import {asList as arr, asRecord as obj, asString as str, asStringMap as stringMap, asStrings as strings} from '../model/json.js'

type Json = JsonObject
const meta = (raw: unknown) => obj(obj(raw).metadata)

export interface ObjectRef {
  readonly namespace: string
  readonly name: string
}

export interface PlatformNode {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  readonly providerID?: string
  readonly kubeletVersion?: string
  readonly osImage?: string
  readonly kernelVersion?: string
  readonly containerRuntimeVersion?: string
  /** The node has an IPv6 pod CIDR or internal address (dual-stack or IPv6-only). */
  readonly ipv6: boolean
}

export function summarizeNode(raw: unknown): PlatformNode {
  const spec = obj(obj(raw).spec)
  const status = obj(obj(raw).status)
  const info = stringMap(status.nodeInfo)
  const cidrs = [...strings(spec.podCIDRs), str(spec.podCIDR) ?? '']
  const addresses = arr(status.addresses).map((a) => str(obj(a).address) ?? '')
  return {
    name: str(meta(raw).name) ?? '',
    labels: stringMap(meta(raw).labels),
    annotations: stringMap(meta(raw).annotations),
    providerID: str(spec.providerID),
    kubeletVersion: info.kubeletVersion,
    osImage: info.osImage,
    kernelVersion: info.kernelVersion,
    containerRuntimeVersion: info.containerRuntimeVersion,
    ipv6: [...cidrs, ...addresses].some((a) => a.includes(':')),
  }
}

export type EnvSource =
  | {readonly kind: 'configMap' | 'secret'; readonly name: string; readonly key: string; readonly optional: boolean}
  | {readonly kind: 'field' | 'resource'; readonly path: string}

export interface EnvVarSummary {
  readonly name: string
  readonly value?: string
  readonly from?: EnvSource
}

export interface EnvFromSummary {
  readonly kind: 'configMap' | 'secret'
  readonly name: string
  readonly prefix: string
  readonly optional: boolean
}

export interface ContainerSummary {
  readonly name: string
  readonly image: string
  readonly env: readonly EnvVarSummary[]
  readonly envFrom: readonly EnvFromSummary[]
}

export interface PlatformWorkload extends ObjectRef {
  readonly kind: 'DaemonSet' | 'Deployment'
  readonly labels: Readonly<Record<string, string>>
  readonly podLabels: Readonly<Record<string, string>>
  readonly containers: readonly ContainerSummary[]
  readonly initContainers: readonly ContainerSummary[]
  /** hostPath volumes of the pod template: volume name → host path (istio-cni-node's cni-bin-dir, cni-net-dir, …). */
  readonly hostPaths: Readonly<Record<string, string>>
}

function envSource(valueFrom: Json): EnvSource | undefined {
  const ref = (kind: 'configMap' | 'secret', key: Json): EnvSource => ({
    kind,
    name: str(key.name) ?? '',
    key: str(key.key) ?? '',
    optional: key.optional === true,
  })
  if (valueFrom.configMapKeyRef) return ref('configMap', obj(valueFrom.configMapKeyRef))
  if (valueFrom.secretKeyRef) return ref('secret', obj(valueFrom.secretKeyRef))
  if (valueFrom.fieldRef) return {kind: 'field', path: str(obj(valueFrom.fieldRef).fieldPath) ?? ''}
  if (valueFrom.resourceFieldRef) return {kind: 'resource', path: str(obj(valueFrom.resourceFieldRef).resource) ?? ''}
  return undefined
}

function summarizeContainer(raw: unknown): ContainerSummary {
  const c = obj(raw)
  return {
    name: str(c.name) ?? '',
    image: str(c.image) ?? '',
    env: arr(c.env).map((e) => {
      const v = obj(e)
      return {name: str(v.name) ?? '', value: str(v.value), from: v.valueFrom ? envSource(obj(v.valueFrom)) : undefined}
    }),
    envFrom: arr(c.envFrom).flatMap((e): EnvFromSummary[] => {
      const v = obj(e)
      const ref = obj(v.configMapRef ?? v.secretRef)
      const kind = v.configMapRef ? 'configMap' : v.secretRef ? 'secret' : undefined
      return kind ? [{kind, name: str(ref.name) ?? '', prefix: str(v.prefix) ?? '', optional: ref.optional === true}] : []
    }),
  }
}

export function summarizeWorkload(kind: PlatformWorkload['kind']) {
  return (raw: unknown): PlatformWorkload => {
    const template = obj(obj(obj(raw).spec).template)
    const podSpec = obj(template.spec)
    return {
      kind,
      namespace: str(meta(raw).namespace) ?? '',
      name: str(meta(raw).name) ?? '',
      labels: stringMap(meta(raw).labels),
      podLabels: stringMap(obj(template.metadata).labels),
      containers: arr(podSpec.containers).map(summarizeContainer),
      initContainers: arr(podSpec.initContainers).map(summarizeContainer),
      hostPaths: Object.fromEntries(
        arr(podSpec.volumes).flatMap((v): Array<[string, string]> => {
          const path = str(obj(obj(v).hostPath).path)
          return path === undefined ? [] : [[str(obj(v).name) ?? '', path]]
        }),
      ),
    }
  }
}

export interface NamespaceSummary {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
}

export const summarizeNamespace = (raw: unknown): NamespaceSummary => ({name: str(meta(raw).name) ?? '', labels: stringMap(meta(raw).labels)})

export interface ScopeExpression {
  readonly scopeName: string
  readonly operator: string
  readonly values: readonly string[]
}

export interface QuotaSummary extends ObjectRef {
  readonly scopeSelector: readonly ScopeExpression[]
  readonly scopes: readonly string[]
  readonly hardPods?: string
  readonly usedPods?: string
}

export function summarizeQuota(raw: unknown): QuotaSummary {
  const spec = obj(obj(raw).spec)
  const status = obj(obj(raw).status)
  return {
    namespace: str(meta(raw).namespace) ?? '',
    name: str(meta(raw).name) ?? '',
    scopeSelector: arr(obj(spec.scopeSelector).matchExpressions).map((e) => {
      const x = obj(e)
      return {scopeName: str(x.scopeName) ?? '', operator: str(x.operator) ?? '', values: strings(x.values)}
    }),
    scopes: strings(spec.scopes),
    hardPods: str(stringMap(status.hard).pods) ?? str(stringMap(spec.hard).pods),
    usedPods: str(stringMap(status.used).pods),
  }
}

export interface ConfigMapSummary extends ObjectRef {
  readonly data: Readonly<Record<string, string>>
}

export const summarizeConfigMap = (raw: unknown): ConfigMapSummary => ({
  namespace: str(meta(raw).namespace) ?? '',
  name: str(meta(raw).name) ?? '',
  data: stringMap(obj(raw).data),
})

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>
  readonly matchExpressions?: ReadonlyArray<{readonly key: string; readonly operator: string; readonly values?: readonly string[]}>
}

export interface PolicyPeer {
  readonly ipBlock?: {readonly cidr: string; readonly except: readonly string[]}
  readonly podSelector?: LabelSelector
  readonly namespaceSelector?: LabelSelector
}

export interface NetworkPolicySummary extends ObjectRef {
  readonly podSelector: LabelSelector
  /** Ingress is restricted by this policy (policyTypes has Ingress, or is absent and the policy has ingress rules). */
  readonly restrictsIngress: boolean
  /** Each rule's peers; an empty list means the rule allows every source. */
  readonly ingress: ReadonlyArray<{readonly from: readonly PolicyPeer[]}>
}

const selector = (v: unknown): LabelSelector => v as LabelSelector

export function summarizeNetworkPolicy(raw: unknown): NetworkPolicySummary {
  const spec = obj(obj(raw).spec)
  const types = strings(spec.policyTypes)
  // Kubernetes defaults policyTypes to [Ingress] (plus Egress when egress rules exist) when it is not set.
  const restrictsIngress = types.length === 0 ? true : types.includes('Ingress')
  return {
    namespace: str(meta(raw).namespace) ?? '',
    name: str(meta(raw).name) ?? '',
    podSelector: selector(obj(spec.podSelector)),
    restrictsIngress,
    ingress: arr(spec.ingress).map((rule) => ({
      from: arr(obj(rule).from).map((peer) => {
        const p = obj(peer)
        const block = p.ipBlock ? obj(p.ipBlock) : undefined
        return {
          ipBlock: block ? {cidr: str(block.cidr) ?? '', except: strings(block.except)} : undefined,
          podSelector: p.podSelector ? selector(p.podSelector) : undefined,
          namespaceSelector: p.namespaceSelector ? selector(p.namespaceSelector) : undefined,
        }
      }),
    })),
  }
}

export interface CiliumPolicySummary {
  readonly kind: 'CiliumClusterwideNetworkPolicy' | 'CiliumNetworkPolicy'
  readonly namespace?: string
  readonly name: string
  /** At least one rule selects every endpoint (`endpointSelector: {}`). */
  readonly selectsAllEndpoints: boolean
  readonly hasIngressRules: boolean
  /** `enableDefaultDeny.ingress` of the rules that set it; undefined means the Cilium default (true when ingress rules exist). */
  readonly ingressDefaultDeny?: boolean
  /** Every `fromCIDR` and `fromCIDRSet[].cidr` of its ingress rules. */
  readonly ingressCidrs: readonly string[]
}

export function summarizeCiliumPolicy(kind: CiliumPolicySummary['kind']) {
  return (raw: unknown): CiliumPolicySummary => {
    const rules = [obj(raw).spec, ...arr(obj(raw).specs)].filter((r) => r !== undefined).map(obj)
    const ingress = rules.flatMap((r) => arr(r.ingress).map(obj))
    const denies = rules.map((r) => obj(r.enableDefaultDeny).ingress).filter((v): v is boolean => typeof v === 'boolean')
    return {
      kind,
      namespace: str(meta(raw).namespace),
      name: str(meta(raw).name) ?? '',
      selectsAllEndpoints: rules.some((r) => r.endpointSelector !== undefined && Object.keys(obj(r.endpointSelector)).length === 0),
      hasIngressRules: ingress.length > 0,
      ingressDefaultDeny: denies.length === 0 ? undefined : denies.every(Boolean),
      ingressCidrs: ingress.flatMap((r) => [...strings(r.fromCIDR), ...arr(r.fromCIDRSet).map((s) => str(obj(s).cidr) ?? '')]).filter(Boolean),
    }
  }
}

export interface RuntimeClassSummary {
  readonly name: string
  readonly handler: string
}

export const summarizeRuntimeClass = (raw: unknown): RuntimeClassSummary => ({name: str(meta(raw).name) ?? '', handler: str(obj(raw).handler) ?? ''})

export const nameOf = (raw: unknown): string => str(meta(raw).name) ?? ''
export const refOf = (raw: unknown): ObjectRef => ({namespace: str(meta(raw).namespace) ?? '', name: str(meta(raw).name) ?? ''})

export interface CalicoSettings {
  /** Installation `default` `.spec.calicoNetwork.linuxDataplane` (operator installs). */
  readonly linuxDataplane?: string
  /** FelixConfiguration `default` `.spec.bpfEnabled`. */
  readonly felixBpfEnabled?: boolean
  /** FelixConfiguration `default` `.spec.bpfConnectTimeLoadBalancing` (or the older boolean). */
  readonly felixConnectTimeLb?: string
}

export function summarizeCalico(installation: unknown, felix: unknown): CalicoSettings {
  const fspec = obj(obj(felix).spec)
  const ctlb =
    str(fspec.bpfConnectTimeLoadBalancing) ??
    (typeof fspec.bpfConnectTimeLoadBalancingEnabled === 'boolean' ? (fspec.bpfConnectTimeLoadBalancingEnabled ? 'Enabled' : 'Disabled') : undefined)
  return {
    linuxDataplane: str(obj(obj(obj(installation).spec).calicoNetwork).linuxDataplane),
    felixBpfEnabled: typeof fspec.bpfEnabled === 'boolean' ? fspec.bpfEnabled : undefined,
    felixConnectTimeLb: ctlb,
  }
}

export interface OpenShiftNetwork {
  /** config.openshift.io Network `cluster` `.status.networkType` (OVNKubernetes, OpenShiftSDN). */
  readonly networkType?: string
  /** operator.openshift.io Network `cluster` `…ovnKubernetesConfig.gatewayConfig.routingViaHost`; undefined = not set (shared gateway). */
  readonly routingViaHost?: boolean
}

export function summarizeOpenShiftNetwork(config: unknown, operator: unknown): OpenShiftNetwork {
  const gateway = obj(obj(obj(obj(obj(operator).spec).defaultNetwork).ovnKubernetesConfig).gatewayConfig)
  return {
    networkType: str(obj(obj(config).status).networkType) ?? str(obj(obj(config).spec).networkType),
    routingViaHost: typeof gateway.routingViaHost === 'boolean' ? gateway.routingViaHost : undefined,
  }
}

/** `quay.io/cilium/cilium:v1.16.3@sha256:…` → `v1.16.3`; undefined without a tag. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? ''
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1)
  const colon = last.indexOf(':')
  return colon >= 0 ? last.slice(colon + 1) : undefined
}

/** The `x.y[.z]` version at the start of an image tag (`1.29.3-distroless` → `1.29.3`). */
export function imageVersion(image: string): string | undefined {
  const match = /^v?(\d+\.\d+(?:\.\d+)?)/.exec(imageTag(image) ?? '')
  return match?.[1]
}
