import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {startApiServer} from '../test-cluster/index.js'
import type {TestApiServer} from '../test-cluster/index.js'
import {runCli} from './helpers/cli.js'
import type {RunResult} from './helpers/cli.js'
import {CHART_DEFAULTS, effectiveCni, parseIstioctl} from './platform-fixtures.js'

interface Finding {
  checkId: string
  severity: string
  message: string
  subject: {kind: string; name: string; namespace?: string}
  remediation?: {text: string; command?: string; yaml?: string}
  evidence?: {modes?: string[]}
  mode: string | null
  planned: boolean
}
interface Report {
  command: string
  istioVersion: string
  verdict: string
  plan: {modes: string[]; backends: string[]; source: string}
  coverage: Array<{area: string; judged: number}>
  findings: Finding[]
  data: {
    platform: {
      id: string
      confidence: string
      features: Array<{id: string}>
      mixed: boolean
      nodeGroups: Array<{name: string; nodes: number}>
      signals: Array<{signal: string}>
      cni: {primary: {id: string; variant?: string; version?: string} | null; gaps: string[]}
      installedIstio: {version?: string; modes?: string[]; backend?: string} | null
      install: Record<string, {platformValue: string | null; values: Record<string, unknown>; istioctl: string[]; helm: string[]}>
    }
  }
}

async function withServer<T>(scenario: string, fn: (server: TestApiServer) => Promise<T>): Promise<T> {
  const server = await startApiServer({scenario})
  try {
    return await fn(server)
  } finally {
    await server.stop()
  }
}

const platform = (server: TestApiServer, ...args: string[]): Promise<RunResult> => runCli(['platform', '--kubeconfig', server.kubeconfigPath, ...args])

async function report(server: TestApiServer, ...args: string[]): Promise<{report: Report; code: number}> {
  const result = await platform(server, '-o', 'json', ...args)
  expect(result.stderr).toBe('')
  return {report: JSON.parse(result.stdout) as Report, code: result.code}
}

/** [checkId, severity, message pattern]: every finding of that check, in order. */
type Expect = [string, string, RegExp]

interface Case {
  scenario: string
  args?: string[]
  platform: string
  confidence?: string
  features?: string[]
  cni: string | null
  cniVariant?: RegExp
  exit: number
  findings: Expect[]
  /** [checkId, pattern] matched against the remediation's text, command and YAML of that check's worst finding. */
  fixes?: Array<[string, RegExp]>
  /** --values: mode, expected global.platform, expected effective istio-cni settings (reference profiles applied). */
  values?: {mode: 'sidecar' | 'ambient'; platform?: string; cni: Record<string, unknown>}
}

const cases: Case[] = [
  {
    scenario: 'platform-gke-quota',
    platform: 'gke',
    confidence: 'high',
    cni: null,
    exit: 0,
    findings: [
      ['platform.installed-istio', 'pass', /istiod 1\.25\.2 rev default in istio-system; judging Istio 1\.25\.2$/],
      [
        'platform.system-node-critical-quota',
        'pass',
        /^ambient: ResourceQuota gcp-critical-pods admits system-node-critical in istio-system \(confirmed by a server-side dry-run pod create\)$/,
      ],
      ['platform.cni', 'pass', /GKE's built-in pod networking/],
    ],
    values: {mode: 'ambient', platform: 'gke', cni: {cniBinDir: '', cniConfDir: '/etc/cni/net.d'}},
  },
  {
    scenario: 'platform-gke-no-quota',
    args: ['--istio-version', '1.25', '--mode', 'both'],
    platform: 'gke',
    features: ['gke-dataplane-v2'],
    cni: 'cilium',
    cniVariant: /GKE-managed \(anetd/,
    exit: 3,
    fixes: [
      [
        'platform.system-node-critical-quota',
        /kind: ResourceQuota\n[\s\S]*namespace: istio-system[\s\S]*scopeName: PriorityClass\n\s+values:\n\s+- system-node-critical/,
      ],
    ],
    findings: [
      [
        'platform.system-node-critical-quota',
        'fail',
        /^ambient: GKE admits system-node-critical pods \(istio-cni, ztunnel\) only in namespaces with a matching quota: the dry-run was refused: .*insufficient quota to match these scopes/,
      ],
      ['platform.cilium-cni-exclusive', 'skip', /GKE Dataplane V2 \(anetd\), managed by Google/],
    ],
  },
  {
    scenario: 'platform-gke-no-quota',
    platform: 'gke',
    features: ['gke-dataplane-v2'],
    cni: 'cilium',
    exit: 0,
    findings: [
      [
        'platform.system-node-critical-quota',
        'pass',
        /^ambient: Istio 1\.30 with global\.platform=gke creates the system-node-critical ResourceQuotas in istio-system itself; do not create a duplicate$/,
      ],
    ],
  },
  {
    scenario: 'platform-gke-autopilot',
    args: ['--mode', 'both'],
    platform: 'gke',
    features: ['gke-autopilot', 'gke-dataplane-v2'],
    cni: 'cilium',
    exit: 3,
    fixes: [['platform.mode-support', /Use sidecar mode with istio-init, or a GKE Standard cluster/]],
    findings: [
      ['platform.mode-support', 'warn', /^sidecar: GKE Autopilot runs sidecars only with istio-init/],
      ['platform.mode-support', 'fail', /^ambient: GKE Autopilot does not allow the istio-cni node agent/],
    ],
  },
  {
    scenario: 'platform-eks-strict',
    args: ['--istio-version', '1.29.2', '--mode', 'both'],
    platform: 'eks',
    confidence: 'high',
    cni: 'aws-vpc-cni',
    exit: 3,
    fixes: [['platform.eks-pod-security-groups', /^kubectl set env daemonset aws-node -n kube-system POD_SECURITY_GROUP_ENFORCING_MODE=standard$/m]],
    findings: [
      [
        'platform.eks-pod-security-groups',
        'fail',
        /^ambient: ENABLE_POD_ENI=true, 1 SecurityGroupPolicy \(payments\/payments-db-access\) and POD_SECURITY_GROUP_ENFORCING_MODE=strict \(unset, the default\).*Istio 1\.29\.2 predates the workaround/,
      ],
    ],
    values: {mode: 'ambient', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-eks-standard',
    platform: 'eks',
    cni: 'aws-vpc-cni',
    exit: 0,
    findings: [['platform.eks-pod-security-groups', 'pass', /POD_SECURITY_GROUP_ENFORCING_MODE=standard with 1 SecurityGroupPolicy/]],
  },
  {
    scenario: 'platform-eks-no-sgp',
    platform: 'eks',
    cni: 'aws-vpc-cni',
    exit: 0,
    findings: [['platform.eks-pod-security-groups', 'pass', /pod ENI trunking is on but no SecurityGroupPolicy exists/]],
  },
  {
    scenario: 'platform-aks',
    platform: 'aks',
    confidence: 'high',
    cni: 'azure-cni',
    exit: 0,
    findings: [
      ['platform.install-values', 'pass', /^sidecar: AKS: no global\.platform value needed: AKS uses the standard CNI paths$/],
      ['platform.install-values', 'pass', /^ambient: AKS: no global\.platform value needed/],
    ],
    values: {mode: 'sidecar', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-openshift',
    args: ['--mode', 'both'],
    platform: 'openshift',
    cni: 'ovn-kubernetes',
    exit: 3,
    fixes: [
      [
        'platform.openshift-ovn-gateway-mode',
        /oc patch network\.operator\.openshift\.io cluster --type=merge -p '\{"spec":\{"defaultNetwork":\{"ovnKubernetesConfig":\{"gatewayConfig":\{"routingViaHost":true\}\}\}\}\}'/,
      ],
    ],
    findings: [
      ['platform.openshift-ovn-gateway-mode', 'fail', /^ambient: OVN-Kubernetes runs in shared gateway mode/],
      [
        'platform.install-values',
        'pass',
        /^sidecar: OpenShift: set global\.platform=openshift .*istioctl: --set profile=openshift\); istio-cni go to kube-system/,
      ],
      ['platform.install-values', 'pass', /^ambient: OpenShift: .*istioctl: --set profile=openshift-ambient\); istio-cni and ztunnel go to kube-system/],
    ],
    values: {mode: 'ambient', platform: 'openshift', cni: {cniConfDir: '/etc/cni/multus/net.d', provider: 'multus'}},
  },
  {
    // K3s v1.30.5 predates the static CNI bin dir: the values override the 1.30 profile's data/cni.
    scenario: 'platform-k3s',
    platform: 'k3s',
    cni: 'flannel',
    cniVariant: /embedded/,
    exit: 0,
    findings: [
      [
        'platform.install-values',
        'pass',
        /^sidecar: K3s: set global\.platform=k3s, cni\.cniBinDir=\/var\/lib\/rancher\/k3s\/data\/current\/bin\/ .*K3s v1\.30\.5\+k3s1 has containerd read CNI binaries from \/var\/lib\/rancher\/k3s\/data\/current\/bin\/, not \/var\/lib\/rancher\/k3s\/data\/cni as global\.platform=k3s in Istio 1\.30 sets\. Sidecars with istio-init write no CNI files/,
      ],
      [
        'platform.install-values',
        'warn',
        /^ambient: K3s: install with these values, the chart defaults \(\/opt\/cni\/bin and \/etc\/cni\/net\.d\) will fail here: set global\.platform=k3s, cni\.cniBinDir=\/var\/lib\/rancher\/k3s\/data\/current\/bin\/ .*istioctl: --set profile=ambient --set values\.global\.platform=k3s --set values\.cni\.cniBinDir=\/var\/lib\/rancher\/k3s\/data\/current\/bin\/\)/,
      ],
    ],
    values: {
      mode: 'ambient',
      platform: 'k3s',
      cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
    },
  },
  {
    // K3s v1.31.2 (static CNI bin dir) with Istio installed, istio-cni on the chart defaults: fail in every mode.
    scenario: 'platform-k3s-istio-cni-defaults',
    platform: 'k3s',
    cni: 'flannel',
    exit: 3,
    fixes: [
      [
        'platform.install-values',
        /^helm upgrade istio-cni istio\/cni -n istio-system --reuse-values --set cni\.cniBinDir=\/var\/lib\/rancher\/k3s\/data\/cni --set cni\.cniConfDir=\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d$/m,
      ],
    ],
    findings: [
      [
        'platform.install-values',
        'fail',
        /^istio-cni in istio-system was installed without the K3s paths: cniBinDir is \/opt\/cni\/bin, K3s v1\.31\.2\+k3s1 needs \/var\/lib\/rancher\/k3s\/data\/cni; cniConfDir is \/etc\/cni\/net\.d, K3s v1\.31\.2\+k3s1 needs \/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d\. The container runtime never runs the istio-cni plugin/,
      ],
      [
        'platform.installed-istio',
        'pass',
        /istiod 1\.30\.1 rev default in istio-system, istio-cni 1\.30\.1 in istio-system, ztunnel 1\.30\.1 in istio-system; judging Istio 1\.30\.1$/,
      ],
    ],
    values: {mode: 'ambient', platform: 'k3s', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
  },
  {
    scenario: 'platform-k3s-custom-cni',
    platform: 'k3s',
    cni: 'cilium',
    args: ['--mode', 'both'],
    exit: 4,
    findings: [
      ['platform.install-values', 'pass', /^sidecar: K3s: set cni\.cniConfDir=.*Sidecars with istio-init write no CNI files/],
      ['platform.install-values', 'warn', /^ambient: K3s: install with these values, the chart defaults .* will fail here: set cni\.cniConfDir=/],
      ['platform.cilium-cni-exclusive', 'pass', /^ambient: cni-exclusive: "false"/],
    ],
    values: {mode: 'ambient', cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'}},
  },
  {
    scenario: 'platform-k3d',
    platform: 'k3d',
    cni: 'flannel',
    exit: 0,
    findings: [
      ['platform.install-values', 'warn', /^ambient: k3d: install with these values, the chart defaults .* will fail here: set global\.platform=k3d \(/],
      ['platform.install-values', 'pass', /^sidecar: k3d: set global\.platform=k3d .*Sidecars with istio-init write no CNI files/],
    ],
    values: {mode: 'ambient', platform: 'k3d', cni: {cniBinDir: '/bin'}},
  },
  {
    scenario: 'platform-rke2',
    platform: 'rke2',
    cni: 'canal',
    exit: 0,
    findings: [
      ['platform.install-values', 'pass', /^sidecar: RKE2: no global\.platform value needed: RKE2 uses \/etc\/cni\/net\.d and \/opt\/cni\/bin$/],
      ['platform.install-values', 'pass', /^ambient: RKE2: /],
    ],
    values: {mode: 'ambient', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-microk8s',
    args: ['--mode', 'both'],
    platform: 'microk8s',
    cni: 'calico',
    exit: 4,
    findings: [
      ['platform.install-values', 'warn', /^ambient: MicroK8s: install with these values, the chart defaults/],
      ['platform.install-values', 'pass', /^sidecar: MicroK8s: set global\.platform=microk8s/],
    ],
    values: {
      mode: 'sidecar',
      platform: 'microk8s',
      cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network', cniBinDir: '/var/snap/microk8s/current/opt/cni/bin'},
    },
  },
  {
    scenario: 'platform-minikube',
    platform: 'minikube',
    cni: null,
    exit: 0,
    findings: [['platform.cni', 'pass', /minikube's built-in bridge CNI/]],
    values: {mode: 'ambient', platform: 'minikube', cni: {cniNetnsDir: '/var/run/docker/netns'}},
  },
  {
    scenario: 'platform-kind',
    platform: 'kind',
    confidence: 'high',
    cni: 'kindnet',
    exit: 0,
    findings: [['platform.mode-support', 'pass', /^no known restriction on kind$/]],
    values: {mode: 'ambient', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-cilium-exclusive',
    args: ['--mode', 'both'],
    platform: 'kubeadm',
    cni: 'cilium',
    cniVariant: /^self-managed$/,
    exit: 3,
    fixes: [['platform.cilium-cni-exclusive', /helm upgrade cilium cilium\/cilium -n kube-system --reuse-values --set cni\.exclusive=false/]],
    findings: [
      [
        'platform.cilium-cni-exclusive',
        'fail',
        /^ambient: cni-exclusive: "true" in kube-system\/cilium-config and the ambient install uses istio-cni: on Cilium 1\.16\.3 the agent owns the CNI configuration directory/,
      ],
      ['platform.cilium-kube-proxy-replacement', 'pass', /^sidecar: kube-proxy replacement with bpf-lb-sock-hostns-only: "true"$/],
      ['platform.cilium-kube-proxy-replacement', 'warn', /^ambient: kube-proxy replacement is on/],
    ],
  },
  {
    scenario: 'platform-cilium-bpf-masquerade',
    args: ['--mode', 'both'],
    platform: 'kubeadm',
    cni: 'cilium',
    exit: 3,
    fixes: [['platform.cilium-bpf-masquerade', /--set bpf\.masquerade=false/]],
    findings: [
      ['platform.cilium-bpf-masquerade', 'fail', /^ambient: enable-bpf-masquerade: "true"/],
      ['platform.cilium-cni-exclusive', 'pass', /"false"/],
    ],
  },
  {
    scenario: 'platform-cilium-default-deny',
    args: ['--mode', 'both'],
    platform: 'kubeadm',
    cni: 'cilium',
    exit: 3,
    fixes: [
      [
        'platform.cilium-host-probe-policy',
        /kind: CiliumClusterwideNetworkPolicy[\s\S]*enableDefaultDeny:\n\s+egress: false\n\s+ingress: false[\s\S]*fromCIDR:\n\s+- 169\.254\.7\.127\/32/,
      ],
      ['platform.network-policy-probe-snat', /namespace: shop[\s\S]*cidr: 169\.254\.7\.127\/32/],
    ],
    findings: [
      [
        'platform.cilium-host-probe-policy',
        'fail',
        /^ambient: default-deny under Cilium \(NetworkPolicy shop\/default-deny-ingress\) and no CiliumClusterwideNetworkPolicy admits 169\.254\.7\.127/,
      ],
      [
        'platform.network-policy-probe-snat',
        'fail',
        /^ambient: NetworkPolicy default-deny-ingress restricts ingress .* kubelet probes of this ambient namespace will fail$/,
      ],
    ],
  },
  {
    scenario: 'platform-cilium-default-deny-allowed',
    platform: 'kubeadm',
    cni: 'cilium',
    exit: 0,
    findings: [
      [
        'platform.cilium-host-probe-policy',
        'pass',
        /^ambient: CiliumClusterwideNetworkPolicy allow-ambient-hostprobes admits 169\.254\.7\.127 into every endpoint$/,
      ],
      ['platform.network-policy-probe-snat', 'pass', /allow-ambient-hostprobes admits 169\.254\.7\.127 into every pod/],
    ],
  },
  {
    scenario: 'platform-talos',
    platform: 'talos',
    cni: 'flannel',
    exit: 3,
    fixes: [['platform.pod-security-admission', /kubectl label namespace istio-system pod-security\.kubernetes\.io\/enforce=privileged --overwrite/]],
    findings: [
      [
        'platform.pod-security-admission',
        'fail',
        /^sidecar: Talos enforces Pod Security "baseline" .*istio-system has no enforce label: istio-cni would be rejected/,
      ],
      ['platform.pod-security-admission', 'fail', /^ambient: .*istio-cni and ztunnel would be rejected/],
      ['platform.gvisor-runtime-class', 'warn', /^ambient: RuntimeClass gvisor \(handler runsc\)/],
    ],
    values: {mode: 'sidecar', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-docker-desktop',
    args: ['--mode', 'both'],
    platform: 'docker-desktop',
    cni: null,
    exit: 3,
    findings: [
      ['platform.mode-support', 'pass', /^sidecar: no known restriction on Docker Desktop$/],
      ['platform.mode-support', 'fail', /^ambient: Docker Desktop ships CNI plugins/],
    ],
  },
  {
    scenario: 'platform-kubeadm',
    platform: 'kubeadm',
    confidence: 'medium',
    cni: 'calico',
    cniVariant: /^manifest, Iptables dataplane$/,
    exit: 0,
    findings: [
      ['platform.network-policy-probe-snat', 'pass', /no NetworkPolicy anywhere would block 169\.254\.7\.127 \(2 policies\)/],
      ['platform.calico-bpf-dataplane', 'pass', /does not use the eBPF dataplane/],
    ],
    values: {mode: 'ambient', cni: CHART_DEFAULTS},
  },
  {
    scenario: 'platform-mixed',
    platform: 'eks',
    features: ['eks-auto-mode'],
    cni: 'aws-vpc-cni',
    exit: 4,
    findings: [
      [
        'platform.detection',
        'warn',
        /^mixed cluster: EKS \(Auto Mode\) ×2 \(i-0c3c3c3c3c3c3c3c3, i-0d4d4d4d4d4d4d4d4\); EKS \(EC2\) ×2 \(ip-10-0-1-10\.ec2\.internal, ip-10-0-2-20\.ec2\.internal\)\. Detected EKS \(Auto Mode\), high confidence/,
      ],
    ],
  },
]

describe('kubectl mesh-ready platform against the test API server, one scenario per case', () => {
  it.each(cases)('$scenario $args', async (c) => {
    await withServer(c.scenario, async (server) => {
      const {report: r, code} = await report(server, ...(c.args ?? []))
      expect(r.command).toBe('platform')
      expect(r.data.platform.id).toBe(c.platform)
      if (c.confidence) expect(r.data.platform.confidence).toBe(c.confidence)
      expect(r.data.platform.features.map((f) => f.id)).toEqual(c.features ?? [])
      expect(r.data.platform.cni.primary?.id ?? null).toBe(c.cni)
      if (c.cniVariant) expect(r.data.platform.cni.primary?.variant).toMatch(c.cniVariant)
      for (const id of new Set(c.findings.map(([checkId]) => checkId))) {
        // The report orders findings worst first, so match each expected finding wherever it is.
        const got = r.findings.filter((f) => f.checkId === id).map((f) => `${f.severity} ${f.message}`)
        const want = c.findings.filter(([checkId]) => checkId === id)
        expect(got, JSON.stringify(got)).toHaveLength(want.length)
        for (const [, severity, pattern] of want)
          expect(
            got.some((g) => g.startsWith(`${severity} `) && pattern.test(g.slice(severity.length + 1))),
            `${severity} ${pattern} in ${JSON.stringify(got)}`,
          ).toBe(true)
      }
      for (const [id, pattern] of c.fixes ?? []) {
        const fix = r.findings.find((f) => f.checkId === id && f.remediation)?.remediation
        expect([fix?.text, fix?.command, fix?.yaml].join('\n'), id).toMatch(pattern)
      }
      for (const f of r.findings) if (f.severity === 'fail') expect(f.remediation?.text, `${f.checkId}: ${f.message}`).toBeTruthy()
      expect(code).toBe(c.exit)

      if (c.values) {
        const args = (c.args ?? []).filter((a, i, all) => a !== '--mode' && all[i - 1] !== '--mode')
        const printed = await platform(server, '--values', '--mode', c.values.mode, ...args)
        // --values exits with the verdict of that one mode
        const ofMode = r.findings.filter((f) => f.evidence?.modes === undefined || f.evidence.modes.includes(c.values!.mode)).map((f) => f.severity)
        expect(printed.code).toBe(ofMode.includes('fail') ? 3 : ofMode.includes('warn') || ofMode.includes('unknown') ? 4 : 0)
        const values = parse(printed.stdout) as Record<string, unknown>
        expect(values).toEqual(r.data.platform.install[c.values.mode]!.values)
        expect((values.global as {platform?: string} | undefined)?.platform).toBe(c.values.platform)
        expect(effectiveCni(values)).toMatchObject(c.values.cni)
        const flags = await platform(server, '--istioctl', '--mode', c.values.mode, ...args)
        expect(parseIstioctl(flags.stdout)).toEqual(parseIstioctl(r.data.platform.install[c.values.mode]!.istioctl.join(' ')))
      }
    })
  })

  it('judges the plan: Istio not installed means sidecar (Istio default); ambient is still judged, shown planned:false', async () => {
    await withServer('platform-docker-desktop', async (server) => {
      const {report: r, code} = await report(server)
      expect(r.plan).toMatchObject({modes: ['sidecar'], source: 'defaults'})
      const ambient = r.findings.filter((f) => f.checkId === 'platform.mode-support' && f.mode === 'ambient')
      expect(ambient).toMatchObject([{severity: 'fail', planned: false}])
      expect(r.findings.filter((f) => f.mode === 'sidecar').every((f) => f.planned)).toBe(true)
      expect(r.findings.filter((f) => f.mode === null).every((f) => f.planned)).toBe(true)
      expect(r.coverage).toContainEqual(expect.objectContaining({area: 'platform', judged: 1}))
      expect(code).toBe(0)
    })
  })

  it('the installed Istio decides the plan: ztunnel means ambient too, global.nativeNftables=true means nftables', async () => {
    await withServer('platform-k3s-istio-cni-defaults', async (server) => {
      const {report: r} = await report(server)
      expect(r.data.platform.installedIstio).toMatchObject({modes: ['sidecar', 'ambient'], backend: 'nftables'})
      expect(r.plan).toMatchObject({modes: ['sidecar', 'ambient'], backends: ['nftables'], source: 'installed'})
      expect(r.findings.every((f) => f.planned)).toBe(true)
      // --values without --mode prints the planned mode's settings (the first planned mode)
      const printed = await platform(server, '--values', '--fail-on', 'never')
      expect(printed.code).toBe(0)
      expect(parse(printed.stdout)).toEqual({global: {platform: 'k3s'}})
    })
  })

  it('nothing of the cluster readable: coverage 0 and the verdict is incomplete (exit 5)', async () => {
    await withServer('platform-denied', async (server) => {
      const result = await platform(server, '-o', 'json')
      const r = JSON.parse(result.stdout) as Report
      expect(r.coverage).toContainEqual(expect.objectContaining({area: 'platform', judged: 0}))
      expect(r.verdict).toBe('incomplete')
      expect(result.code).toBe(5)
    })
  })

  it('a caller who may not read kube-system: unknown findings name the permission, everything else is still judged', async () => {
    await withServer('platform-no-kube-system', async (server) => {
      const {report: r, code} = await report(server)
      expect(r.data.platform.id).toBe('eks')
      expect(r.data.platform.confidence).toBe('high')
      const by = (id: string) => r.findings.filter((f) => f.checkId === id)
      expect(by('platform.cni')).toMatchObject([{severity: 'unknown'}])
      expect(by('platform.cni')[0]!.message).toContain('forbidden: you may not list daemonsets.apps in namespace kube-system')
      expect(by('platform.eks-pod-security-groups')).toMatchObject([
        {severity: 'unknown', message: 'could not look for the Amazon VPC CNI: forbidden: you may not list daemonsets.apps in namespace kube-system'},
      ])
      expect(by('platform.network-policy-probe-snat').map((f) => [f.severity, f.message])).toEqual([
        [
          'warn',
          'ambient: 1 namespace not in ambient yet has NetworkPolicies that drop 169.254.7.127: shop (default-deny); their kubelet probes fail once enrolled',
        ],
      ])
      expect(by('platform.detection')).toMatchObject([{severity: 'pass'}])
      expect(by('platform.mode-support')).toMatchObject([{severity: 'pass'}])
      expect(r.findings.filter((f) => f.severity === 'fail')).toEqual([])
      expect(code).toBe(4)
    })
  })

  it('reads each kind once, creates the priority pod only as a dry run, and stores nothing', async () => {
    await withServer('platform-gke-quota', async (server) => {
      const before = server.requests.length
      await report(server)
      const made = server.requests.slice(before)
      const lists = made
        .filter((q) => q.method === 'GET' && !q.query.continue)
        .map((q) => `${q.path}?${q.query.labelSelector ?? ''}${q.query.fieldSelector ?? ''}`)
      expect(lists.length).toBe(new Set(lists).size)
      expect(made.some((q) => q.path.startsWith('/api/v1/nodes/'))).toBe(false) // no per-node GETs
      const creates = made.filter((q) => q.method === 'POST' && q.path === '/api/v1/namespaces/istio-system/pods')
      expect(creates).toHaveLength(1)
      expect(creates[0]!.query.dryRun).toBe('All')
      expect(server.store.list('pods').filter((p) => p.metadata.namespace === 'istio-system')).toEqual([])
    })
  })

  it('GKE before 1.26 without a quota: --values installs the node agents into kube-system and trusts ztunnel there', async () => {
    await withServer('platform-gke-no-quota', async (server) => {
      const printed = await platform(server, '--values', '--mode', 'ambient', '--istio-version', '1.25')
      expect(printed.code).toBe(3)
      expect(printed.stderr).toMatch(/^note: 1 fail, 0 warn, 0 unknown for ambient mode; run "kubectl mesh-ready platform --mode ambient" for the findings\n$/)
      expect(parse(printed.stdout)).toEqual({profile: 'ambient', global: {platform: 'gke'}, pilot: {trustedZtunnelNamespace: 'kube-system'}})
      expect(printed.stdout).toContain('#   helm install istio-cni istio/cni -n kube-system --create-namespace -f values.yaml --wait')
      expect(printed.stdout).toContain('#   helm install ztunnel istio/ztunnel -n kube-system -f values.yaml --wait')
      const flags = await platform(server, '--istioctl', '--mode', 'ambient', '--istio-version', '1.25', '--fail-on', 'never')
      expect(flags.code).toBe(0)
      expect(parseIstioctl(flags.stdout)).toEqual({
        profile: 'ambient',
        'components.cni.namespace': 'kube-system',
        'components.ztunnel.namespace': 'kube-system',
        'values.global.platform': 'gke',
        'values.pilot.trustedZtunnelNamespace': 'kube-system',
      })
    })
  })

  it('shows both modes side by side in the table and stays within 80 columns', async () => {
    await withServer('platform-docker-desktop', async (server) => {
      const result = await platform(server, '--mode', 'both')
      expect(result.code).toBe(3)
      expect(result.stdout).toMatch(/Platform checks by mode\nCHECK\s+SIDECAR\s+AMBIENT/)
      expect(result.stdout).toMatch(/\nmode support\s+PASS\s+FAIL\s*\n/)
      expect(result.stdout).toMatch(/Platform detection\nWHAT\s+DETECTED\s+EVIDENCE\s*\nPlatform\s+Docker Desktop, high/)
      expect(result.stdout).toMatch(/\nCNI\s+Docker Desktop's built-in/)
      for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
      // The plan (sidecar, Istio's default) is what counts; ambient is still judged and shown, as information.
      const one = await platform(server, '--mode', 'sidecar')
      expect(one.code).toBe(0)
      expect(one.stdout).toMatch(/CHECK\s+SIDECAR\s+AMBIENT\s*\n/)
    })
  })

  it.each([
    [['--values', '--mode', 'both'], /^error: --values prints the settings of one mode; add --mode sidecar or --mode ambient$/],
    [['--istioctl', '--values', '--mode', 'ambient'], /^error: --values and --istioctl print the same settings in two forms; pass one of them$/],
    [['--istio-namespace', 'Istio_System'], /^error: --istio-namespace "Istio_System" is not a namespace name/],
    [['--mode', 'mesh'], /^error: Expected --mode=mesh to be one of: sidecar, ambient, both/],
    [['--istio-version', 'latest'], /^error: --istio-version "latest" is not a version; use one of: 1\.30, /],
  ])('bad input %j is one line and exit 2', async (args, pattern) => {
    await withServer('platform-kind', async (server) => {
      const result = await platform(server, ...args)
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr.trim()).toMatch(pattern)
    })
  })
})
