import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {judgePlatform} from '../src/pipeline/platform.js'
import type {InstallSettings} from '../src/derive/platform/install-plan.js'
import {valuesDocument} from '../src/derive/platform/install-plan.js'
import type {Mode} from '../src/knowledge/istio-platform.js'
import {ISTIO_PLATFORM_PROFILES, ISTIO_PLATFORM_VALUES, k3sCniBinDir, k3sRelease, NOT_ISTIO_PLATFORM_VALUES} from '../src/knowledge/istio-platform.js'
import {PLATFORM_CATALOGUE} from '../src/knowledge/platform-signals.js'
import type {ClusterShape, NodeShape} from './platform-fixtures.js'
import {CHART_DEFAULTS, dsObject, effectiveCni, inputsFrom, NODES, parseIstioctl, REFERENCE_PROFILES} from './platform-fixtures.js'

type Json = Record<string, unknown>

const plan = (shape: ClusterShape, mode: Mode, istioVersion = '1.30'): InstallSettings =>
  judgePlatform(inputsFrom(shape), {istioVersion, modes: [mode]}).plans[mode]!

interface Row {
  name: string
  shape: ClusterShape
  platform?: string
  cni: Record<string, unknown>
}

const cases: Row[] = [
  {name: 'GKE', shape: {serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke]}, platform: 'gke', cni: {cniBinDir: '', cniConfDir: '/etc/cni/net.d'}},
  {
    name: 'K3s v1.30.5 bundled Flannel (before the static CNI bin dir)',
    shape: {nodes: [NODES.k3s]},
    platform: 'k3s',
    cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
  },
  {
    name: 'K3s v1.30.6 bundled Flannel (static CNI bin dir)',
    shape: {nodes: [{...NODES.k3s, kubeletVersion: 'v1.30.6+k3s1'}]},
    platform: 'k3s',
    cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni'},
  },
  {
    name: 'k3d on K3s v1.31.7 (the container image moved to the static dir)',
    shape: {nodes: [{...NODES.k3d, kubeletVersion: 'v1.31.7+k3s1'}]},
    platform: 'k3d',
    cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni'},
  },
  {
    name: 'K3s custom CNI (explicit paths from the Istio docs)',
    shape: {nodes: [NODES.k3sCustomCni], daemonSets: [dsObject('kube-system', 'cilium')]},
    cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
  },
  {name: 'k3d', shape: {nodes: [NODES.k3d]}, platform: 'k3d', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/bin'}},
  {name: 'MicroK8s', shape: {nodes: [NODES.microk8s]}, platform: 'microk8s', cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network'}},
  {name: 'minikube with the docker runtime', shape: {nodes: [NODES.minikube]}, platform: 'minikube', cni: {cniNetnsDir: '/var/run/docker/netns'}},
  {name: 'minikube with containerd', shape: {nodes: [NODES.minikubeContainerd]}, cni: {cniNetnsDir: '/var/run/netns'}},
  {
    name: 'OpenShift',
    shape: {nodes: [NODES.openshiftOnAws], apiGroups: ['route.openshift.io']},
    platform: 'openshift',
    cni: {cniConfDir: '/etc/cni/multus/net.d', provider: 'multus', chained: false},
  },
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
    const v123 = plan({nodes: [NODES.k3s]}, 'ambient', '1.23') // K3s v1.30.5: data/current/bin is right for it
    expect(v123.platformValue).toBeUndefined()
    expect(v123.values).toEqual({
      profile: 'ambient',
      cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
    })
    const gke124 = plan({serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke]}, 'sidecar', '1.24')
    expect(gke124.values).toEqual({cni: {cniBinDir: '/home/kubernetes/bin'}})
  })

  it('GKE before 1.26 without a quota puts istio-cni and ztunnel in kube-system and tells istiod to trust it', () => {
    const p = plan({serverVersion: 'v1.30.3-gke.1', nodes: [NODES.gke], namespaces: ['istio-system']}, 'ambient', '1.25')
    expect(p.values).toEqual({profile: 'ambient', global: {platform: 'gke'}, pilot: {trustedZtunnelNamespace: 'kube-system'}})
    expect(p.releases.map((r) => `${r.release}@${r.namespace}`)).toEqual([
      'istio-base@istio-system',
      'istiod@istio-system',
      'istio-cni@kube-system',
      'ztunnel@kube-system',
    ])
    expect(parseIstioctl(p.istioctl.join(' '))).toMatchObject({
      'components.cni.namespace': 'kube-system',
      'components.ztunnel.namespace': 'kube-system',
      'values.pilot.trustedZtunnelNamespace': 'kube-system',
    })
    const withQuota = plan(
      {
        serverVersion: 'v1.30.3-gke.1',
        nodes: [NODES.gke],
        quotas: [
          {
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: {namespace: 'istio-system', name: 'q'},
            spec: {scopeSelector: {matchExpressions: [{scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical']}]}},
          },
        ],
      },
      'ambient',
      '1.25',
    )
    expect(withQuota.releases.every((r) => r.namespace === 'istio-system')).toBe(true)
  })

  it('OpenShift installs istio-cni (and ztunnel) into kube-system in both modes', () => {
    const shape = {nodes: [NODES.openshiftOnAws], apiGroups: ['route.openshift.io']}
    expect(plan(shape, 'sidecar').releases.map((r) => `${r.release}@${r.namespace}`)).toEqual([
      'istio-base@istio-system',
      'istiod@istio-system',
      'istio-cni@kube-system',
    ])
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

const K3S = '/var/lib/rancher/k3s/data/current/bin/'
const STATIC = '/var/lib/rancher/k3s/data/cni'

describe('the CNI bin dir follows the K3s release (k3s-io/k3s#10868 in October 2024, the container image in March 2025)', () => {
  it.each([
    ['k3s', 'v1.27.16+k3s1', K3S],
    ['k3s', 'v1.28.14+k3s1', K3S],
    ['k3s', 'v1.28.15+k3s1', STATIC],
    ['k3s', 'v1.29.9+k3s1', K3S],
    ['k3s', 'v1.29.10+k3s1', STATIC],
    ['k3s', 'v1.30.5+k3s1', K3S],
    ['k3s', 'v1.30.6+k3s1', STATIC],
    ['k3s', 'v1.31.1+k3s1', K3S],
    ['k3s', 'v1.31.2+k3s1', STATIC],
    ['k3s', 'v1.32.0+k3s1', STATIC],
    ['k3s', 'v1.33.4+k3s1', STATIC],
    ['k3d', 'v1.28.15+k3s1', '/bin'],
    ['k3d', 'v1.29.14+k3s1', '/bin'],
    ['k3d', 'v1.29.15+k3s1', STATIC],
    ['k3d', 'v1.30.10+k3s1', '/bin'],
    ['k3d', 'v1.30.11+k3s1', STATIC],
    ['k3d', 'v1.31.6+k3s1', '/bin'],
    ['k3d', 'v1.31.7-rc1+k3s1', STATIC],
    ['k3d', 'v1.32.2+k3s1', '/bin'],
    ['k3d', 'v1.32.3+k3s1', STATIC],
    ['k3d', 'v1.33.0+k3s1', STATIC],
  ] as const)('%s %s reads CNI binaries from %s', (flavour, version, dir) => {
    const release = k3sRelease(version)!
    expect(k3sCniBinDir(flavour, release).binDir).toBe(dir)
  })

  it.each(['v1.30.5', 'v1.30.5+rke2r1', 'v1.29.4+k0s.0', '', undefined])('%s is not a K3s release', (v) => expect(k3sRelease(v)).toBeUndefined())

  // The values printed must work on the detected release, whatever Istio's own profile for the judged release says.
  it.each([
    ['k3s', NODES.k3s, 'v1.30.5+k3s1', '1.30', K3S],
    ['k3s', NODES.k3s, 'v1.30.6+k3s1', '1.30', STATIC],
    ['k3s', NODES.k3s, 'v1.30.6+k3s1', '1.24', STATIC], // the 1.24 profile still had data/current/bin
    ['k3s', NODES.k3s, 'v1.30.5+k3s1', '1.24', K3S],
    ['k3s', NODES.k3s, 'v1.31.2+k3s1', '1.23', STATIC], // no profile yet: spelled out
    ['k3s custom CNI', NODES.k3sCustomCni, 'v1.31.2+k3s1', '1.30', STATIC],
    ['k3d', NODES.k3d, 'v1.30.4+k3s1', '1.30', '/bin'],
    ['k3d', NODES.k3d, 'v1.32.3+k3s1', '1.30', STATIC],
  ] as const)('%s %s with Istio %s: --values and --istioctl give cniBinDir %s', (_what, node, kubelet, istio, dir) => {
    const p = plan(
      {nodes: [{...node, kubeletVersion: kubelet}], daemonSets: _what.includes('custom') ? [dsObject('kube-system', 'cilium')] : []},
      'ambient',
      istio,
    )
    const values = parse(valuesDocument(p, 'test')) as Json
    const profileOf = (v: Json) => {
      // The judged release's own profile: before 1.25 the k3s profile used data/current/bin (istio/istio#54112).
      const platform = (v.global as Json | undefined)?.platform
      return platform === 'k3s' && istio === '1.24' ? deepSet(v, K3S) : v
    }
    const effective = effectiveCni(profileOf(values))
    expect(String(effective.cniBinDir).replace(/\/$/, '')).toBe(dir.replace(/\/$/, ''))
    expect(p.cniPaths.cniBinDir.replace(/\/$/, '')).toBe(dir.replace(/\/$/, ''))
    const flags = parseIstioctl(p.istioctl.join(' '))
    const fromFlags =
      flags['values.cni.cniBinDir'] ??
      (flags['values.global.platform'] === 'k3d' ? '/bin' : flags['values.global.platform'] === 'k3s' ? (istio === '1.24' ? K3S : STATIC) : undefined)
    expect(fromFlags?.replace(/\/$/, '')).toBe(dir.replace(/\/$/, ''))
    expect(p.k3s?.release).toBe(kubelet)
  })

  it('a cluster whose nodes run K3s releases with different bin dirs says so, and takes the newest', () => {
    const p = plan({nodes: [NODES.k3s, {...NODES.k3s, name: 'k3s-agent-2', kubeletVersion: 'v1.30.6+k3s1'}]}, 'ambient')
    expect(p.k3s).toMatchObject({release: 'v1.30.6+k3s1', binDir: STATIC, mixed: ['v1.30.5+k3s1', 'v1.30.6+k3s1']})
    expect(p.notes.join(' ')).toMatch(/the nodes run K3s v1\.30\.5\+k3s1, v1\.30\.6\+k3s1, which read CNI binaries from different directories/)
  })

  it('no visible K3s release: the profile stays, with a note naming both directories', () => {
    const p = plan({nodes: [{...NODES.k3s, kubeletVersion: 'v1.30.5'}]}, 'ambient')
    expect(p.values).toEqual({profile: 'ambient', global: {platform: 'k3s'}})
    expect(p.notes.join(' ')).toMatch(/no node shows its K3s release/)
  })
})

/** Replaces the k3s profile's bin dir (what an older judged release renders). */
function deepSet(values: Json, binDir: string): Json {
  const cni = (values.cni as Json | undefined) ?? {}
  return cni.cniBinDir === undefined ? {...values, cni: {...cni, cniBinDir: binDir}} : values
}
