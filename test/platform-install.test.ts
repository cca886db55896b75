import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {judgePlatform} from '../src/areas/platform.js'
import type {InstallPlan} from '../src/checks/platform/_lib/install-plan.js'
import {valuesDocument} from '../src/checks/platform/_lib/install-plan.js'
import type {Mode} from '../src/knowledge/istio-platform.js'
import {ISTIO_PLATFORM_PROFILES, ISTIO_PLATFORM_VALUES, NOT_ISTIO_PLATFORM_VALUES} from '../src/knowledge/istio-platform.js'
import {PLATFORM_CATALOGUE} from '../src/knowledge/platform-signals.js'
import type {ClusterShape, NodeShape} from './platform-fixtures.js'
import {CHART_DEFAULTS, dsObject, effectiveCni, inputsFrom, NODES, parseIstioctl, REFERENCE_PROFILES} from './platform-fixtures.js'

type Json = Record<string, unknown>

const plan = (shape: ClusterShape, mode: Mode, istioVersion = '1.30'): InstallPlan => judgePlatform(inputsFrom(shape), {istioVersion, modes: [mode]}).plans[mode]!

interface Row {
  name: string
  shape: ClusterShape
  platform?: string
  cni: Record<string, unknown>
}

const cases: Row[] = [
  {name: 'GKE', shape: {serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke]}, platform: 'gke', cni: {cniBinDir: '', cniConfDir: '/etc/cni/net.d'}},
  {name: 'K3s bundled Flannel', shape: {nodes: [NODES.k3s]}, platform: 'k3s', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
  {
    name: 'K3s custom CNI (explicit paths from the Istio docs)',
    shape: {nodes: [NODES.k3sCustomCni], daemonSets: [dsObject('kube-system', 'cilium')]},
    cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
  },
  {name: 'k3d', shape: {nodes: [NODES.k3d]}, platform: 'k3d', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/bin'}},
  {name: 'MicroK8s', shape: {nodes: [NODES.microk8s]}, platform: 'microk8s', cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network'}},
  {name: 'minikube with the docker runtime', shape: {nodes: [NODES.minikube]}, platform: 'minikube', cni: {cniNetnsDir: '/var/run/docker/netns'}},
  {name: 'minikube with containerd', shape: {nodes: [NODES.minikubeContainerd]}, cni: {cniNetnsDir: '/var/run/netns'}},
  {name: 'OpenShift', shape: {nodes: [NODES.openshiftOnAws], apiGroups: ['route.openshift.io']}, platform: 'openshift', cni: {cniConfDir: '/etc/cni/multus/net.d', provider: 'multus', chained: false}},
  {name: 'EKS', shape: {serverVersion: 'v1.30.2-eks-db838b0', nodes: [NODES.eksEc2]}, cni: CHART_DEFAULTS},
  {name: 'AKS', shape: {nodes: [NODES.aks]}, cni: CHART_DEFAULTS},
  {name: 'kind', shape: {nodes: [NODES.kind]}, cni: CHART_DEFAULTS},
  {name: 'RKE2', shape: {nodes: [NODES.rke2]}, cni: CHART_DEFAULTS},
  {name: 'Talos', shape: {nodes: [NODES.talos]}, cni: CHART_DEFAULTS},
  {name: 'Docker Desktop', shape: {nodes: [NODES.dockerDesktop]}, cni: CHART_DEFAULTS},
]

describe('install values compared with the reference platform profiles', () => {
  it('the knowledge table holds exactly the reference profiles, and only valid values', () => {
    expect(Object.fromEntries(ISTIO_PLATFORM_PROFILES.map((p) => [p.value, p.content]))).toEqual(REFERENCE_PROFILES)
    expect([...ISTIO_PLATFORM_VALUES].sort()).toEqual(Object.keys(REFERENCE_PROFILES).sort())
    for (const invalid of NOT_ISTIO_PLATFORM_VALUES) expect(REFERENCE_PROFILES).not.toHaveProperty(invalid)
  })

  describe.each(['sidecar', 'ambient'] as const)('%s mode', (mode) => {
    it.each(cases)('$name', ({shape, platform, cni}) => {
      const p = plan(shape, mode)
      const doc = valuesDocument(p, 'test')
      const values = parse(doc) as Json
      expect(values).toEqual(p.values) // the printed file parses back to the plan
      expect((values.global as Json | undefined)?.platform).toBe(platform)
      expect(values.profile).toBe(mode === 'ambient' ? 'ambient' : undefined)
      expect(effectiveCni(values)).toMatchObject(cni)
      const flags = parseIstioctl(p.istioctl.join(' '))
      if (platform === 'openshift') expect(flags).toEqual({profile: mode === 'ambient' ? 'openshift-ambient' : 'openshift'})
      else {
        expect(flags.profile).toBe(mode === 'ambient' ? 'ambient' : 'default')
        expect(flags['values.global.platform']).toBe(platform)
      }
    })
  })

  it('never suggests a platform value that does not exist, whatever the platform', () => {
    const valid = new Set<string>(ISTIO_PLATFORM_VALUES)
    for (const entry of PLATFORM_CATALOGUE) {
      for (const signal of entry.signals) {
        const node: NodeShape = {name: 'n'}
        if (signal.match.on === 'label') node.labels = {[signal.match.key]: signal.match.value ?? 'x'}
        if (signal.match.on === 'providerID') node.providerID = `${signal.match.prefix}x`
        for (const mode of ['sidecar', 'ambient'] as const) {
          const value = plan({nodes: [node]}, mode).platformValue
          if (value !== undefined) expect(valid.has(value), `${entry.id}: ${value}`).toBe(true)
        }
      }
    }
  })

  it('a release older than the profile spells the settings out instead (k3s 1.24 bin dir, then 1.23 without a profile)', () => {
    const v124 = plan({nodes: [NODES.k3s]}, 'ambient', '1.24')
    expect(v124.platformValue).toBe('k3s')
    const v123 = plan({nodes: [NODES.k3s]}, 'ambient', '1.23')
    expect(v123.platformValue).toBeUndefined()
    expect(v123.values).toEqual({profile: 'ambient', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'}})
    const gke124 = plan({serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke]}, 'sidecar', '1.24')
    expect(gke124.values).toEqual({cni: {cniBinDir: '/home/kubernetes/bin'}})
  })

  it('GKE before 1.26 without a quota puts istio-cni and ztunnel in kube-system and tells istiod to trust it', () => {
    const p = plan({serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke], namespaces: ['istio-system']}, 'ambient', '1.25')
    expect(p.values).toEqual({profile: 'ambient', global: {platform: 'gke'}, pilot: {trustedZtunnelNamespace: 'kube-system'}})
    expect(p.releases.map((r) => `${r.release}@${r.namespace}`)).toEqual(['istio-base@istio-system', 'istiod@istio-system', 'istio-cni@kube-system', 'ztunnel@kube-system'])
    expect(parseIstioctl(p.istioctl.join(' '))).toMatchObject({'components.cni.namespace': 'kube-system', 'components.ztunnel.namespace': 'kube-system', 'values.pilot.trustedZtunnelNamespace': 'kube-system'})
    const withQuota = plan(
      {
        serverVersion: 'v1.30.3-gke.1',
        nodes: [NODES.gke],
        quotas: [{apiVersion: 'v1', kind: 'ResourceQuota', metadata: {namespace: 'istio-system', name: 'q'}, spec: {scopeSelector: {matchExpressions: [{scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical']}]}}}],
      },
      'ambient',
      '1.25',
    )
    expect(withQuota.releases.every((r) => r.namespace === 'istio-system')).toBe(true)
  })

  it('OpenShift installs istio-cni (and ztunnel) into kube-system in both modes', () => {
    const shape = {nodes: [NODES.openshiftOnAws], apiGroups: ['route.openshift.io']}
    expect(plan(shape, 'sidecar').releases.map((r) => `${r.release}@${r.namespace}`)).toEqual(['istio-base@istio-system', 'istiod@istio-system', 'istio-cni@kube-system'])
    expect(plan(shape, 'ambient').releases.at(-1)).toEqual({release: 'ztunnel', chart: 'istio/ztunnel', namespace: 'kube-system'})
  })

  it('Talos sidecar mode uses the istio-cni node agent (baseline forbids istio-init)', () => {
    const p = plan({nodes: [NODES.talos]}, 'sidecar')
    expect(p.values).toEqual({pilot: {cni: {enabled: true}}})
    expect(parseIstioctl(p.istioctl.join(' '))).toEqual({profile: 'default', 'components.cni.enabled': 'true', 'values.pilot.cni.enabled': 'true'})
  })

  it('the values file starts with comments naming the helm commands, and warns when the mode is unavailable', () => {
    const doc = valuesDocument(plan({nodes: [NODES.dockerDesktop]}, 'ambient'), 'Docker Desktop, ambient')
    expect(doc).toMatch(/^# Docker Desktop, ambient\n# WARNING: ambient mode is not available on this platform/)
    expect(doc).toContain('#   helm install istio-base istio/base -n istio-system --create-namespace -f values.yaml --wait')
    expect(doc).toContain('#   helm install ztunnel istio/ztunnel -n istio-system -f values.yaml --wait')
  })
})
