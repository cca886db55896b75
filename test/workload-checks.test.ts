import {describe, expect, it} from 'vitest'
import type {CheckDefinition, Finding} from '../src/model/finding.js'
import {known, unavailable} from '../src/model/finding.js'
import {workloadChecks} from '../src/checks/workload/index.js'
import {runChecks} from '../src/checks/run.js'
import {SERVER_FIRST_PROTOCOLS} from '../src/knowledge/protocols.js'
import type {WorkloadFacts} from '../src/derive/workloads/context.js'
import type {FactsInput} from './workload-fixtures.js'
import {container, deploymentPods, factsOf, service} from './workload-fixtures.js'

const byId = Object.fromEntries(workloadChecks.map((c) => [c.id, c as CheckDefinition<WorkloadFacts, any>]))
const judge = (id: string, input: FactsInput) => runChecks([byId[id]!], factsOf(input))
const severityOf = (findings: readonly Finding[], name: string) => findings.filter((f) => f.subject.name === name).map((f) => f.severity)
const one = (findings: readonly Finding[], name: string) => {
  const matching = findings.filter((f) => f.subject.name === name)
  expect(matching, JSON.stringify(findings.map((f) => [f.subject.name, f.severity, f.message]))).toHaveLength(1)
  return matching[0]!
}

describe('workload checks are registered sorted and well-formed', () => {
  it('ids are sorted and every check cites the application requirements or the reference', () => {
    const ids = workloadChecks.map((c) => c.id)
    expect(ids).toEqual([...ids].sort())
    for (const c of workloadChecks.filter((c) => c.id !== 'workload.inventory')) expect(c.source).toMatch(/istio\.io|istio\/istio/)
  })
})

describe('workload.uid-1337', () => {
  const pods = [
    ...deploymentPods('shop', 'ok', {securityContext: {runAsUser: 1000}, containers: [container('ok')]}),
    ...deploymentPods('shop', 'by-pod', {securityContext: {runAsUser: 1337}, containers: [container('app')]}, {count: 3}),
    ...deploymentPods('shop', 'by-container', {containers: [container('app'), container('helper', [], {securityContext: {runAsUser: 1337}})]}),
    ...deploymentPods('shop', 'by-group', {containers: [container('app', [], {securityContext: {runAsUser: 1000, runAsGroup: 1337}})]}),
    ...deploymentPods('shop', 'init', {initContainers: [container('setup', [], {securityContext: {runAsUser: 1337}})], containers: [container('app')]}),
    ...deploymentPods('shop', 'injected', {containers: [container('app'), {name: 'istio-proxy', securityContext: {runAsUser: 1337}}]}),
  ]
  const findings = judge('workload.uid-1337', {pods})

  it.each([
    ['deployment/ok', 'pass'],
    ['deployment/by-pod', 'fail'],
    ['deployment/by-container', 'fail'],
    ['deployment/by-group', 'warn'],
    ['deployment/init', 'fail'],
    ['deployment/injected', 'pass'],
  ])('%s → %s', (name, severity) => {
    expect(severityOf(findings, name)).toEqual([severity])
  })

  it('names the container, counts the pods and gives a strategic-merge patch that sets another UID', () => {
    const f = one(findings, 'deployment/by-container')
    expect(f.message).toContain('helper')
    expect(f.message).toContain('2 pods')
    expect(f.remediation?.command).toBe(
      `kubectl -n shop patch deployment by-container -p '{"spec":{"template":{"spec":{"securityContext":{"runAsUser":1000},"containers":[{"name":"helper","securityContext":{"runAsUser":1000}}]}}}}'`,
    )
    expect(one(findings, 'deployment/by-pod').message).toContain('3 pods')
    expect(one(findings, 'deployment/init').remediation?.command).toContain('"initContainers":[{"name":"setup"')
  })

  it('skips workloads in ambient mode, where UID 1337 is not special', () => {
    const ambient = judge('workload.uid-1337', {pods, mode: 'ambient'})
    expect(severityOf(ambient, 'deployment/by-pod')).toEqual(['skip'])
    expect(one(ambient, 'deployment/by-pod').message).toMatch(/sidecar mode only.*--mode ambient/)
  })

  it('offers no patch for a bare pod, whose spec is immutable', () => {
    const bare = judge('workload.uid-1337', {
      pods: [{metadata: {name: 'debug', namespace: 'shop'}, spec: {securityContext: {runAsUser: 1337}, containers: [container('x')]}}],
    })
    const f = one(bare, 'pod/debug')
    expect(f.severity).toBe('fail')
    expect(f.remediation?.command).toBeUndefined()
    expect(f.remediation?.text).toMatch(/recreate/)
  })
})

describe('workload.net-admin-capabilities', () => {
  const pods = (ns: string) => deploymentPods(ns, 'web', {containers: [container('web')]}, {count: 3})
  const psa = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).map(([k, v]) => [`pod-security.kubernetes.io/${k}`, v]))

  it.each([
    ['no labels', {}, 'pass', /no Pod Security enforce label/],
    ['enforce privileged', psa({enforce: 'privileged'}), 'pass', /enforce=privileged admits/],
    ['enforce baseline', psa({enforce: 'baseline'}), 'fail', /enforces Pod Security "baseline"/],
    ['enforce restricted', psa({enforce: 'restricted'}), 'fail', /enforces Pod Security "restricted"/],
    ['warn restricted only', psa({warn: 'restricted'}), 'warn', /warn=restricted/],
    ['audit baseline + warn restricted', psa({audit: 'baseline', warn: 'restricted'}), 'warn', /warn=restricted and audit=baseline labels/],
    ['enforce privileged, warn baseline', psa({enforce: 'privileged', warn: 'baseline'}), 'warn', /warn=baseline/],
    ['enforce restricted and warn restricted', psa({enforce: 'restricted', warn: 'restricted'}), 'fail', /enforces/],
    ['a typo in the level', psa({enforce: 'restrcted'}), 'unknown', /unrecognised level "restrcted"/],
  ])('PSA %s → %s', (_name, labels, severity, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: labels}}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
    expect(f.message).toContain('1 workload, 3 pods in sidecar mode')
    if (severity === 'fail') expect(f.remediation?.command).toBe('istioctl install --set components.cni.enabled=true --set values.pilot.cni.enabled=true')
  })

  it('unreadable namespace labels → unknown naming why', () => {
    const f = one(
      judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: unavailable('forbidden: you may not get namespaces (cluster-wide)')}}),
      'shop',
    )
    expect(f.severity).toBe('unknown')
    expect(f.message).toContain('forbidden: you may not get namespaces')
  })

  it.each([
    [
      'the istio-cni DaemonSet',
      'pass',
      {cniDaemonSet: known('DaemonSet kube-system/istio-cni-node')},
      /not needed: istio-cni is installed \(DaemonSet kube-system\/istio-cni-node\)/,
    ],
    [
      "the injector's pilot.cni.enabled=true and the node agent",
      'pass',
      {injectorCni: known(true), cniDaemonSet: known('DaemonSet istio-system/istio-cni-node')},
      /not needed: the sidecar injector has pilot.cni.enabled=true/,
    ],
    [
      'pilot.cni.enabled=false although the DaemonSet runs (ambient-only CNI)',
      'fail',
      {injectorCni: known(false), cniDaemonSet: known('DaemonSet istio-system/istio-cni-node')},
      /enforces/,
    ],
    [
      'istio-cni unknown',
      'unknown',
      {cniDaemonSet: unavailable('forbidden: you may not list daemonsets.apps (cluster-wide)')},
      /unless istio-cni is installed: whether istio-cni is installed could not be read \(forbidden/,
    ],
    [
      'pilot.cni.enabled=true but no istio-cni-node DaemonSet',
      'warn',
      {injectorCni: known(true), cniDaemonSet: known(null)},
      /pilot.cni.enabled=true, so pods get no istio-init, but no istio-cni-node DaemonSet was found/,
    ],
  ])('restricted namespace with %s → %s', (_name, severity, mesh, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: psa({enforce: 'restricted'})}, mesh}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it.each([
    ['--mode ambient', {mode: 'ambient' as const}, /sidecar mode.*--mode ambient/],
    [
      'a namespace labelled for ambient',
      {namespaces: {shop: {...psa({enforce: 'restricted'}), 'istio.io/dataplane-mode': 'ambient'}}},
      /istio.io\/dataplane-mode=ambient/,
    ],
    ['ztunnel installed (auto)', {mesh: {ztunnelDaemonSet: known('DaemonSet istio-system/ztunnel')}}, /ztunnel is installed/],
  ])('ambient via %s → skip, saying why', (_name, extra, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: psa({enforce: 'restricted'})}, ...extra}), 'shop')
    expect(f.severity).toBe('skip')
    expect(f.message).toMatch(message)
  })

  it('a sidecar-injection label wins over ztunnel being installed', () => {
    const f = one(
      judge('workload.net-admin-capabilities', {
        pods: pods('shop'),
        namespaces: {shop: {...psa({enforce: 'baseline'}), 'istio-injection': 'enabled'}},
        mesh: {ztunnelDaemonSet: known('DaemonSet istio-system/ztunnel')},
      }),
      'shop',
    )
    expect(f.severity).toBe('fail')
  })

  it.each([
    [
      'no PSP allows the capabilities',
      'fail',
      [{name: 'restricted', allowedCapabilities: []}],
      /no PodSecurityPolicy allows NET_ADMIN and NET_RAW \(restricted\)/,
    ],
    [
      'a PSP allows them',
      'warn',
      [
        {name: 'restricted', allowedCapabilities: []},
        {name: 'istio', allowedCapabilities: ['NET_ADMIN', 'NET_RAW']},
      ],
      /only PodSecurityPolicy istio allows/,
    ],
    ['a PSP allows everything', 'warn', [{name: 'privileged', allowedCapabilities: ['*']}], /privileged allows/],
  ])('legacy PodSecurityPolicy: %s → %s', (_name, severity, psps, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), admission: {podSecurityPolicies: known(psps)}}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  const scc = (name: string, caps: string[], users: string[] = [], groups: string[] = []) => ({name, allowedCapabilities: caps, users, groups})
  it.each([
    ['only restricted-v2', 'fail', [scc('restricted-v2', [])], /no SecurityContextConstraints allows/],
    [
      'privileged exists but is not granted',
      'warn',
      [scc('restricted-v2', []), scc('privileged', ['*'], ['system:admin'], ['system:cluster-admins'])],
      /lists service account web in its users or groups/,
    ],
    ['granted to the service account', 'pass', [scc('istio', ['NET_ADMIN', 'NET_RAW'], ['system:serviceaccount:shop:web'])], /SCC istio grants/],
    ['granted to the namespace group', 'pass', [scc('istio', ['NET_ADMIN', 'NET_RAW'], [], ['system:serviceaccounts:shop'])], /SCC istio grants/],
  ])('OpenShift SCCs: %s → %s', (_name, severity, sccs, message) => {
    const webPods = deploymentPods('shop', 'web', {serviceAccountName: 'web', containers: [container('web')]})
    const f = one(judge('workload.net-admin-capabilities', {pods: webPods, admission: {securityContextConstraints: known(sccs)}}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it('judges each namespace on its own', () => {
    const findings = judge('workload.net-admin-capabilities', {
      pods: [...pods('strict'), ...pods('open')],
      namespaces: {strict: psa({enforce: 'restricted'}), open: {}},
    })
    expect(severityOf(findings, 'strict')).toEqual(['fail'])
    expect(severityOf(findings, 'open')).toEqual(['pass'])
  })
})

describe('workload.app-version-labels', () => {
  const spec = {containers: [container('c')]}
  const findings = judge('workload.app-version-labels', {
    namespaces: {shop: {'istio-injection': 'enabled'}},
    pods: [
      ...deploymentPods('shop', 'both', spec),
      ...deploymentPods('shop', 'k8s-style', spec, {labels: {'app.kubernetes.io/name': 'x', 'app.kubernetes.io/version': '2'}}),
      ...deploymentPods('shop', 'no-version', spec, {labels: {app: 'no-version'}}),
      ...deploymentPods('shop', 'none', spec, {labels: {tier: 'web'}}),
    ],
  })
  it.each([
    ['deployment/both', 'pass', /labelled app and version/],
    ['deployment/k8s-style', 'pass', /app.kubernetes.io\/name and app.kubernetes.io\/version/],
    ['deployment/no-version', 'warn', /^no version label \(any of service.istio.io\/canonical-revision, app.kubernetes.io\/version, version\)/],
    ['deployment/none', 'warn', /^no app label .* and no version label/],
  ])('%s → %s', (name, severity, message) => {
    const f = one(findings, name)
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })
  it('patches only the missing label into the pod template', () => {
    expect(one(findings, 'deployment/no-version').remediation?.command).toBe(
      `kubectl -n shop patch deployment no-version -p '{"spec":{"template":{"metadata":{"labels":{"version":"v1"}}}}}'`,
    )
  })
})

describe('Service port checks', () => {
  const web = deploymentPods('shop', 'web', {containers: [container('web', [8080, 9090])]}, {labels: {app: 'web', version: 'v1'}})
  const db = deploymentPods(
    'shop',
    'db',
    {containers: [{name: 'db', image: 'docker.io/library/mysql:8.0', ports: [{containerPort: 3306, name: 'mysql'}]}]},
    {labels: {app: 'db', version: 'v1'}},
  )
  const smtp = deploymentPods(
    'shop',
    'mail',
    {containers: [{name: 'mail', image: 'example.com/mailer:1', ports: [{containerPort: 25}]}]},
    {labels: {app: 'mail', version: 'v1'}},
  )
  const services = [
    service('shop', 'web', {app: 'web'}, [
      {name: 'http', port: 80, targetPort: 8080},
      {name: 'grpc-admin', port: 9090},
    ]),
    service('shop', 'web-metrics', {app: 'web'}, [{port: 9090}]),
    service('shop', 'web-named', {app: 'web'}, [{name: 'web', port: 8080}]),
    service('shop', 'db-ok', {app: 'db'}, [{port: 3306}]),
    service('shop', 'db-shifted', {app: 'db'}, [{name: 'db', port: 13306, targetPort: 'mysql'}]),
    service('shop', 'db-tcp', {app: 'db'}, [{name: 'tcp-db', port: 13306, targetPort: 3306}]),
    service('shop', 'mail', {app: 'mail'}, [{port: 2525, targetPort: 25}]),
    service('shop', 'dns', {app: 'dns'}, [
      {name: 'dns', port: 53, protocol: 'UDP'},
      {name: 'dns-tcp', port: 53},
    ]),
  ]
  const input = {pods: [...web, ...db, ...smtp], services}

  it.each([
    ['web', 'pass'],
    ['web-metrics', 'warn'],
    ['web-named', 'warn'],
    ['db-ok', 'pass'],
    ['db-shifted', 'warn'],
    ['dns', 'pass'],
  ])('workload.port-protocol: Service %s → %s', (name, severity) => {
    expect(severityOf(judge('workload.port-protocol', input), name)).toEqual([severity])
  })

  it('workload.port-protocol names the sniffed ports', () => {
    const f = one(judge('workload.port-protocol', input), 'web-named')
    expect(f.message).toBe('port 8080 "web" has no recognised protocol, so Istio sniffs it (HTTP or HTTP/2 if detected, else plain TCP)')
    expect(f.remediation?.yaml).toContain('appProtocol: http')
  })

  it.each([
    ['db-ok', 'pass'],
    ['db-tcp', 'pass'],
    ['db-shifted', 'fail'],
    ['mail', 'fail'],
    ['web', 'pass'],
    ['web-metrics', 'pass'],
  ])('workload.server-first: Service %s → %s', (name, severity) => {
    expect(severityOf(judge('workload.server-first', input), name)).toEqual([severity])
  })

  it('workload.server-first says why, offers the TCP patch and the mTLS choices', () => {
    const findings = judge('workload.server-first', input)
    const shifted = one(findings, 'db-shifted')
    expect(shifted.message).toMatch(/port 13306 "db" → mysql looks like MySQL by its port 3306/)
    expect(shifted.remediation?.command).toBe(
      `kubectl -n shop patch service db-shifted --type=json -p '[{"op":"add","path":"/spec/ports/0/appProtocol","value":"tcp"}]'`,
    )
    expect(shifted.remediation?.text).toMatch(/STRICT.*DISABLE.*client sending TLS/s)
    expect(one(findings, 'mail').message).toMatch(/SMTP by its port 25/)
  })

  it('workload.server-first recognises a server-first image on a port not in the table', () => {
    const nats = deploymentPods('shop', 'bus', {containers: [{name: 'nats', image: 'nats:2.10', ports: [{containerPort: 14222}]}]})
    const findings = judge('workload.server-first', {pods: nats, services: [service('shop', 'bus', {app: 'bus'}, [{port: 14222}])]})
    expect(one(findings, 'bus').message).toMatch(/NATS by its image nats:2.10/)
  })

  it('workload.server-first applies to sidecar mode only', () => {
    expect(severityOf(judge('workload.server-first', {...input, mode: 'ambient'}), 'mail')).toEqual(['skip'])
  })

  it('workload.protocol-conflict: two Services, one target port, different protocols → fail; the other workload passes', () => {
    const findings = judge('workload.protocol-conflict', input)
    const f = one(findings, 'deployment/web')
    expect(f.severity).toBe('fail')
    expect(f.message).toContain('target port 9090/TCP: Service web port 9090 "grpc-admin" as grpc vs Service web-metrics port 9090 (unnamed) as auto')
    expect(f.message).toContain('target port 8080/TCP: Service web port 80 "http" → 8080 as http vs Service web-named port 8080 "web" as auto')
    expect(one(findings, 'deployment/mail').severity).toBe('pass')
  })

  it('workload.protocol-conflict resolves named target ports and ignores TCP vs UDP on one number', () => {
    const findings = judge('workload.protocol-conflict', {
      pods: db,
      services: [
        service('shop', 'a', {app: 'db'}, [{name: 'tcp', port: 1, targetPort: 'mysql'}]),
        service('shop', 'b', {app: 'db'}, [
          {name: 'mysql', port: 3306},
          {name: 'udp', port: 3306, protocol: 'UDP'},
        ]),
      ],
    })
    expect(one(findings, 'deployment/db').message).toMatch(
      /target port 3306\/TCP: Service a port 1 "tcp" → mysql as tcp vs Service b port 3306 "mysql" as mysql/,
    )
  })
})

describe('workload.reserved-ports', () => {
  const pods = [
    ...deploymentPods('shop', 'ok', {containers: [container('ok', [8080])]}),
    ...deploymentPods('shop', 'admin', {containers: [container('admin', [15000])]}),
    ...deploymentPods('shop', 'hbone', {containers: [container('hbone', [15008])]}),
    ...deploymentPods('shop', 'via-service', {containers: [container('x', [])]}),
    ...deploymentPods('istio-system', 'old-pilot', {containers: [container('discovery', [15012])]}, {labels: {app: 'old-pilot', version: 'v1'}}),
    ...deploymentPods('istio-system', 'istiod', {containers: [container('discovery', [15012, 15017])]}, {labels: {app: 'istiod', istio: 'pilot'}}),
  ]
  const services = [service('shop', 'via-service', {app: 'via-service'}, [{name: 'http', port: 80, targetPort: 15020}])]

  it.each([
    ['sidecar', 'deployment/ok', 'pass'],
    ['sidecar', 'deployment/admin', 'fail'],
    ['sidecar', 'deployment/hbone', 'fail'],
    ['sidecar', 'deployment/via-service', 'fail'],
    ['ambient', 'deployment/admin', 'pass'],
    ['ambient', 'deployment/hbone', 'fail'],
    ['ambient', 'deployment/via-service', 'pass'],
    ['sidecar', 'deployment/old-pilot', 'warn'],
  ] as const)('--mode %s: %s → %s', (mode, name, severity) => {
    expect(severityOf(judge('workload.reserved-ports', {pods, services, mode}), name)).toEqual([severity])
  })

  it("never judges Istio's own istiod, and says which port clashes with what", () => {
    const findings = judge('workload.reserved-ports', {pods, services})
    expect(severityOf(findings, 'deployment/istiod')).toEqual([])
    expect(one(findings, 'deployment/admin').message).toMatch(/port 15000 \(container admin; sidecar: Envoy admin\)/)
    expect(one(findings, 'deployment/via-service').message).toMatch(/15020 \(Service via-service targetPort/)
  })
})

describe('workload.host-network, workload.udp-ports, workload.headless-service', () => {
  const pods = [
    ...deploymentPods('shop', 'web', {containers: [container('web', [8080, 8081])]}),
    ...deploymentPods('shop', 'agent', {hostNetwork: true, containers: [container('agent')]}),
    ...deploymentPods('shop', 'dns', {containers: [{name: 'dns', image: 'coredns', ports: [{containerPort: 5353, protocol: 'UDP'}]}]}),
    ...deploymentPods('shop', 'db', {containers: [container('db', [5432])]}),
  ]
  const services = [
    service('shop', 'web-headless', {app: 'web'}, [{name: 'http', port: 8080}], {clusterIP: 'None'}),
    service('shop', 'db-headless', {app: 'db'}, [{name: 'tcp', port: 5432}], {clusterIP: 'None'}),
    service('shop', 'bare-headless', {app: 'nothing'}, [], {clusterIP: 'None'}),
    service('shop', 'web', {app: 'web'}, [{name: 'http', port: 80, targetPort: 8080}]),
  ]

  it.each([
    ['workload.host-network', 'deployment/agent', 'warn'],
    ['workload.host-network', 'deployment/web', 'pass'],
    ['workload.udp-ports', 'deployment/dns', 'warn'],
    ['workload.udp-ports', 'deployment/web', 'pass'],
    ['workload.headless-service', 'web-headless', 'warn'],
    ['workload.headless-service', 'db-headless', 'pass'],
    ['workload.headless-service', 'bare-headless', 'warn'],
  ])('%s: %s → %s', (id, name, severity) => {
    expect(severityOf(judge(id, {pods, services}), name)).toEqual([severity])
  })

  it('reports only headless Services, naming undeclared ports', () => {
    const findings = judge('workload.headless-service', {pods, services})
    expect(severityOf(findings, 'web')).toEqual([])
    expect(one(findings, 'web-headless').message).toContain('does not declare port 8081')
    expect(one(findings, 'bare-headless').message).toContain('declares no ports')
  })

  it('udp-ports names the port and protocol', () => {
    expect(one(judge('workload.udp-ports', {pods, services}), 'deployment/dns').message).toMatch(/^declares 5353\/UDP, which Istio does not proxy/)
  })
})

describe('workload.inventory and scope', () => {
  it('reports a namespace whose pods could not be listed as unknown naming the permission, and the rest as judged', () => {
    const findings = judge('workload.inventory', {
      pods: deploymentPods('open', 'web', {containers: [container('web')]}, {count: 4}),
      deniedPods: {secret: 'forbidden: you may not list pods in namespace secret'},
    })
    expect(one(findings, 'secret')).toMatchObject({
      severity: 'unknown',
      message: 'its workloads were not judged: forbidden: you may not list pods in namespace secret',
    })
    expect(one(findings, 'cluster')).toMatchObject({severity: 'pass', message: 'judged 1 workload covering 4 pods in 1 namespace'})
  })

  it("skips system namespaces and leaves Istio's components out of every check", () => {
    const pods = [
      ...deploymentPods('kube-system', 'coredns', {containers: [container('coredns', [53])]}),
      ...deploymentPods(
        'istio-system',
        'istiod',
        {securityContext: {runAsUser: 1337}, containers: [container('discovery', [15012])]},
        {labels: {app: 'istiod', istio: 'pilot'}},
      ),
    ]
    const all = runChecks(workloadChecks, factsOf({pods}))
    expect(one(all, 'kube-system')).toMatchObject({checkId: 'workload.inventory', severity: 'skip'})
    expect(all.filter((f) => f.subject.kind === 'Workload')).toEqual([])
    expect(one(all, 'cluster').message).toBe('judged 0 workloads covering 0 pods in 0 namespaces; 1 Istio component left out')
  })

  it('a workload opted out of the mesh is skipped by every mode-dependent check', () => {
    const pods = deploymentPods(
      'shop',
      'legacy',
      {securityContext: {runAsUser: 1337}, containers: [container('x', [15000])]},
      {labels: {app: 'legacy', 'sidecar.istio.io/inject': 'false'}},
    )
    const findings = runChecks(workloadChecks, factsOf({pods})).filter((f) => f.subject.name === 'deployment/legacy')
    expect(findings.length).toBeGreaterThan(4)
    for (const f of findings)
      expect([f.checkId, f.severity, f.message]).toEqual([f.checkId, 'skip', 'not in the mesh (pod label sidecar.istio.io/inject=false)'])
  })
})

describe('issue 9 §4: which labels enrol a workload, and label checks only for enrolled ones', () => {
  const unlabelled = (labels: Record<string, string> = {}) =>
    deploymentPods('shop', 'web', {containers: [container('web')]}, {labels: {tier: 'web', ...labels}})
  // https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy and
  // https://istio.io/latest/docs/ambient/usage/add-workloads/: what enrols, and "disabled" on either side wins.
  it.each([
    ['no label anywhere', {}, {}, 'skip', /no label enrols it/],
    ['namespace istio-injection=enabled', {'istio-injection': 'enabled'}, {}, 'warn', /no app label/],
    ['namespace istio.io/rev=canary', {'istio.io/rev': 'canary'}, {}, 'warn', /no app label/],
    ['namespace istio.io/dataplane-mode=ambient', {'istio.io/dataplane-mode': 'ambient'}, {}, 'warn', /no app label/],
    ['pod sidecar.istio.io/inject=true in an unlabelled namespace', {}, {'sidecar.istio.io/inject': 'true'}, 'warn', /no app label/],
    ['pod istio.io/dataplane-mode=ambient in an unlabelled namespace', {}, {'istio.io/dataplane-mode': 'ambient'}, 'warn', /no app label/],
    [
      'namespace istio-injection=disabled, pod inject=true (disabled wins)',
      {'istio-injection': 'disabled'},
      {'sidecar.istio.io/inject': 'true'},
      'skip',
      /not in the mesh \(namespace label istio-injection=disabled\)/,
    ],
    [
      'namespace enabled, pod inject=false',
      {'istio-injection': 'enabled'},
      {'sidecar.istio.io/inject': 'false'},
      'skip',
      /not in the mesh \(pod label sidecar.istio.io\/inject=false\)/,
    ],
  ])('%s → %s', (_name, nsLabels, podLabels, severity, message) => {
    const f = one(judge('workload.app-version-labels', {pods: unlabelled(podLabels), namespaces: {shop: nsLabels}}), 'deployment/web')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it('--mode sidecar does not enrol an unlabelled namespace for the label check', () => {
    expect(one(judge('workload.app-version-labels', {pods: unlabelled(), mode: 'sidecar'}), 'deployment/web').severity).toBe('skip')
  })

  it('the skips of many unenrolled workloads say the same thing, so they fold into one line per namespace', () => {
    const pods = [
      ...deploymentPods('shop', 'a', {containers: [container('a')]}, {labels: {x: 'a'}}),
      ...deploymentPods('shop', 'b', {containers: [container('b')]}, {labels: {x: 'b'}}),
    ]
    const messages = new Set(judge('workload.app-version-labels', {pods}).map((f) => f.message))
    expect(messages.size).toBe(1)
  })
})

describe('issue 9 §4: a pass says only what was checked', () => {
  const pods = deploymentPods('shop', 'web', {containers: [container('web', [8080])]}, {labels: {app: 'web', version: 'v1'}})
  const services = [service('shop', 'web', {app: 'web'}, [{name: 'http', port: 80, targetPort: 8080}])]
  const pass = (id: string, name = 'deployment/web') => one(judge(id, {pods, services, namespaces: {shop: {'istio-injection': 'enabled'}}}), name)
  it.each([
    [
      'workload.uid-1337',
      /^no container sets runAsUser or runAsGroup 1337 in its pod or container securityContext; the image's own USER is not visible through the API/,
      /runs as/,
    ],
    [
      'workload.udp-ports',
      /^its containers and Services declare TCP ports only; ports the process opens without declaring them are not visible/,
      /serves TCP only/,
    ],
    [
      'workload.reserved-ports',
      /^declared ports 8080: none is one Istio binds in the pod in sidecar mode \(15000, 15001, 15002, 15004, 15006, 15008, 15020, 15021, 15053, 15090\); ports the process opens without declaring them are not visible/,
      /no port clashes/,
    ],
    ['workload.host-network', /^its pods do not set hostNetwork/, /runs in its own/],
    ['workload.protocol-conflict', /^the 1 Service selecting its pods give each target port one protocol/, /no protocol conflict/],
  ])('%s', (id, says, never) => {
    const f = pass(id)
    expect(f.severity).toBe('pass')
    expect(f.message).toMatch(says)
    expect(f.message).not.toMatch(never)
  })

  it('workload.server-first names the protocols it knows and says others are not recognised', () => {
    const f = one(judge('workload.server-first', {pods, services: [service('shop', 'web', {app: 'web'}, [{port: 8080}])]}), 'web')
    expect(f.message).toBe(
      'its sniffed port 8080 reaches no port or image of a server-first protocol the plugin knows (SMTP, MySQL, ProxySQL, FTP, POP3, IMAP, NATS, VNC, SSH); a server-first server in another image on another port is not recognised',
    )
  })

  it('workload.port-protocol does not call a well-known port "explicit"', () => {
    const f = one(judge('workload.port-protocol', {pods, services: [service('shop', 'db', {app: 'web'}, [{name: 'db', port: 3306}])]}), 'db')
    expect(f.message).toBe('no port is sniffed: 3306/tcp (well-known port)')
  })
})

describe('workload.reserved-service-ports: the Service port itself (conflictWithReservedListener)', () => {
  const pods = deploymentPods('shop', 'web', {containers: [container('web', [8080])]})
  // Istio pilot/pkg/model/context.go: HTTP-like protocols (protocol.IsHTTP) bind 0.0.0.0:<port>, which collides with
  // the static listeners (EnvoyStatusPort 15021, EnvoyPrometheusPort 15090) and the virtual ones (ProxyListenPort
  // 15001, ProxyInboundListenPort 15006); TCP and sniffed ports bind the Service address and do not.
  it.each([
    [{name: 'http', port: 15021, targetPort: 8080}, 'fail'],
    [{name: 'http-metrics', port: 15090, targetPort: 8080}, 'fail'],
    [{name: 'grpc', port: 15001, targetPort: 8080}, 'fail'],
    [{name: 'web', appProtocol: 'http2', port: 15006, targetPort: 8080}, 'fail'],
    [{name: 'web', appProtocol: 'kubernetes.io/h2c', port: 15006, targetPort: 8080}, 'fail'],
    [{name: 'grpc-web', port: 15021, targetPort: 8080}, 'fail'],
    [{name: 'tcp', port: 15021, targetPort: 8080}, 'pass'],
    [{name: 'https', port: 15021, targetPort: 8080}, 'pass'],
    [{port: 15021, targetPort: 8080}, 'pass'],
    [{name: 'http', port: 15000, targetPort: 8080}, 'pass'],
    [{name: 'http', port: 15020, targetPort: 8080}, 'pass'],
    [{name: 'http', port: 8080}, 'pass'],
    // 15008: only where sidecars listen for HBONE, and not guarded by istiod: a warning
    [{name: 'http', port: 15008, targetPort: 8080}, 'warn'],
    [{name: 'tcp', port: 15008, targetPort: 8080}, 'pass'],
  ])('%j → %s', (port, severity) => {
    const f = one(judge('workload.reserved-service-ports', {pods, services: [service('shop', 'web', {app: 'web'}, [port])]}), 'web')
    expect(f.severity).toBe(severity)
    expect(f.mode).toBe('sidecar')
  })

  it('says what breaks and moves the port to its targetPort number', () => {
    const f = one(
      judge('workload.reserved-service-ports', {
        pods,
        services: [
          service('shop', 'web', {app: 'web'}, [
            {name: 'tcp', port: 5000},
            {name: 'http', port: 15021, targetPort: 8080},
          ]),
        ],
      }),
      'web',
    )
    expect(f.message).toMatch(/^port 15021 "http" → 8080 \(http\) is on the port of every sidecar's health-check listener/)
    expect(f.message).toContain('istio/istio#41239')
    expect(f.message).toContain('istio/istio#49905')
    expect(f.remediation?.command).toBe(`kubectl -n shop patch service web --type=json -p '[{"op":"replace","path":"/spec/ports/1/port","value":8080}]'`)
  })

  it('offers no command when moving the port would move the pods too (no targetPort)', () => {
    const f = one(
      judge('workload.reserved-service-ports', {
        pods: deploymentPods('shop', 'web', {containers: [container('web', [15021])]}),
        services: [service('shop', 'web', {app: 'web'}, [{name: 'http', port: 15021}])],
      }),
      'web',
    )
    expect(f.severity).toBe('fail')
    expect(f.remediation?.command).toBeUndefined()
  })

  it('a Service with no selector is still judged: every sidecar builds its listener', () => {
    const f = one(
      judge('workload.reserved-service-ports', {
        pods,
        services: [{metadata: {name: 'external', namespace: 'shop'}, spec: {ports: [{name: 'http', port: 15090}]}}],
      }),
      'external',
    )
    expect(f.severity).toBe('fail')
  })

  it('is skipped when no workload runs in sidecar mode (--mode ambient)', () => {
    const f = one(
      judge('workload.reserved-service-ports', {pods, mode: 'ambient', services: [service('shop', 'web', {app: 'web'}, [{name: 'http', port: 15021}])]}),
      'web',
    )
    expect(f).toMatchObject({severity: 'skip', mode: 'sidecar'})
  })

  it("workload.reserved-ports counts a Service port without targetPort as the pods' port", () => {
    const f = one(
      judge('workload.reserved-ports', {
        pods: deploymentPods('shop', 'web', {containers: [container('web', [])]}),
        services: [service('shop', 'web', {app: 'web'}, [{name: 'http', port: 15020}])],
      }),
      'deployment/web',
    )
    expect(f.severity).toBe('fail')
    expect(f.message).toContain('15020 (Service web port (no targetPort); sidecar: merged Prometheus telemetry)')
  })
})

describe('workload.reserved-ports with --mode both: one result per mode when the modes differ', () => {
  const pods = [
    ...deploymentPods('shop', 'admin', {containers: [container('admin', [15000])]}),
    ...deploymentPods('shop', 'hbone', {containers: [container('hbone', [15008])]}),
  ]
  it.each([
    ['deployment/admin', [['fail', 'sidecar']]],
    ['deployment/hbone', [['fail', null]]],
  ])('%s → %j', (name, expected) => {
    const findings = judge('workload.reserved-ports', {pods, mode: 'both'}).filter((f) => f.subject.name === name)
    expect(findings.map((f) => [f.severity, f.mode])).toEqual(expected)
  })
})

describe('workload.server-first: the protocol table, by port and by image', () => {
  const sniffedTo = (target: number, image = 'example.com/app:1', containerPorts: number[] = [target]) => ({
    pods: deploymentPods('shop', 'srv', {containers: [{name: 'srv', image, ports: containerPorts.map((containerPort) => ({containerPort}))}]}),
    services: [service('shop', 'srv', {app: 'srv'}, [{name: 'main', port: 10000 + (target % 10000), targetPort: target}])],
  })
  it.each([
    // by the target port: who speaks first, per the protocol's own specification (src/knowledge/protocols.ts)
    [25, undefined, 'fail', /SMTP by its port 25/],
    [587, undefined, 'fail', /SMTP submission by its port 587/],
    [3306, undefined, 'fail', /MySQL by its port 3306/],
    [6033, undefined, 'fail', /ProxySQL \(MySQL protocol\) by its port 6033/],
    [6032, undefined, 'fail', /ProxySQL/],
    [21, undefined, 'fail', /FTP by its port 21/],
    [110, undefined, 'fail', /POP3 by its port 110/],
    [143, undefined, 'fail', /IMAP by its port 143/],
    [4222, undefined, 'fail', /NATS by its port 4222/],
    [5900, undefined, 'fail', /VNC \(RFB\) by its port 5900/],
    [22, undefined, 'warn', /SSH by its port 22.*both sides send at once/],
    // client-first, although Istio's docs list some of them: sniffing works
    [27017, 'docker.io/library/mongo:7', 'pass', /reaches no port/],
    [53, 'coredns/coredns:1.11', 'pass', /reaches no port/],
    [33060, 'mysql:8.4', 'pass', /reaches no port/],
    [465, 'postfix:3', 'pass', /reaches no port/],
    [993, undefined, 'pass', /reaches no port/],
    // by the image on another port
    [13306, 'docker.io/library/mariadb:11', 'fail', /MySQL by its image docker.io\/library\/mariadb:11/],
    [16033, 'proxysql/proxysql:2.6', 'fail', /ProxySQL \(MySQL protocol\) by its image/],
    [14222, 'nats:2.10', 'fail', /NATS by its image nats:2.10/],
    [2222, 'lscr.io/linuxserver/openssh-server:latest', 'warn', /SSH by its image/],
    // the same images on their client-first ports (web UI, monitoring) are not matched
    [8222, 'nats:2.10', 'pass', /reaches no port/],
    [8025, 'axllent/mailpit:v1.20', 'pass', /reaches no port/],
    [3000, 'gitea/gitea:1.22', 'pass', /reaches no port/],
    [8080, 'example.com/web:1', 'pass', /reaches no port/],
  ])('target port %s, image %s → %s', (target, image, severity, message) => {
    const f = one(judge('workload.server-first', sniffedTo(target, image)), 'srv')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
    expect(f.mode).toBe('sidecar')
  })

  it('an image in a helper container does not speak for the port another container declares', () => {
    const pods = deploymentPods('shop', 'app', {
      containers: [
        {name: 'web', image: 'example.com/web:1', ports: [{containerPort: 8080}]},
        {name: 'bus', image: 'nats:2.10'},
      ],
    })
    const f = one(judge('workload.server-first', {pods, services: [service('shop', 'app', {app: 'app'}, [{port: 8080}])]}), 'app')
    expect(f.severity).toBe('pass')
  })

  it('every row cites a primary URL and says who speaks first', () => {
    for (const row of SERVER_FIRST_PROTOCOLS) {
      expect(row.source, row.protocol).toMatch(
        /^https:\/\/(www\.rfc-editor\.org|dev\.mysql\.com|proxysql\.com|docs\.nats\.io|github\.com\/mongodb|istio\.io)\//,
      )
      expect(row.ports.length, row.protocol).toBeGreaterThan(0)
      expect(['server', 'both', 'client']).toContain(row.speaks)
    }
    const ports = SERVER_FIRST_PROTOCOLS.flatMap((r) => r.ports)
    expect(new Set(ports).size).toBe(ports.length)
  })
})

describe('issue 9 §4: fixes do not contradict other findings', () => {
  const db = deploymentPods(
    'shop',
    'db',
    {containers: [{name: 'db', image: 'example.com/db:1', ports: [{containerPort: 9000}]}]},
    {labels: {app: 'db', version: 'v1'}},
  )
  it('port-protocol suggests the protocol another Service already declares for the same target port', () => {
    const services = [
      service('shop', 'db', {app: 'db'}, [{name: 'tcp-main', port: 9000}]),
      service('shop', 'db-alt', {app: 'db'}, [{name: 'main', port: 19000, targetPort: 9000}]),
    ]
    const f = one(judge('workload.port-protocol', {pods: db, services}), 'db-alt')
    expect(f.remediation?.yaml).toContain('appProtocol: tcp')
    expect(f.remediation?.yaml).not.toContain('appProtocol: http')
    expect(f.remediation?.text).toContain('tcp for port 19000: Service db already declares target port 9000 tcp')
  })

  it('port-protocol suggests tcp for a server-first port, as workload.server-first does', () => {
    const mail = deploymentPods('shop', 'mail', {containers: [{name: 'mail', image: 'example.com/mailer:1', ports: [{containerPort: 25}]}]})
    const f = one(judge('workload.port-protocol', {pods: mail, services: [service('shop', 'mail', {app: 'mail'}, [{port: 2525, targetPort: 25}])]}), 'mail')
    expect(f.remediation?.yaml).toContain('appProtocol: tcp')
    expect(f.remediation?.text).toContain('it looks like SMTP by its port 25, a server-first protocol')
  })

  it('port-protocol suggests tcp, not http, for a client-first protocol the table knows (MongoDB)', () => {
    const mongo = deploymentPods('shop', 'docs', {containers: [{name: 'mongo', image: 'mongo:7', ports: [{containerPort: 27017}]}]})
    const f = one(
      judge('workload.port-protocol', {pods: mongo, services: [service('shop', 'docs', {app: 'docs'}, [{name: 'db', port: 80, targetPort: 27017}])]}),
      'docs',
    )
    expect(f.remediation?.yaml).toContain('appProtocol: tcp')
    expect(f.remediation?.text).toContain('it looks like MongoDB by its port 27017, not HTTP')
  })

  it('port-protocol does not call SSH server-first: its clients may wait for the server', () => {
    const sshd = deploymentPods('shop', 'sshd', {
      containers: [{name: 'sshd', image: 'lscr.io/linuxserver/openssh-server:latest', ports: [{containerPort: 2222}]}],
    })
    const f = one(
      judge('workload.port-protocol', {pods: sshd, services: [service('shop', 'sshd', {app: 'sshd'}, [{name: 'ssh', port: 22, targetPort: 2222}])]}),
      'sshd',
    )
    expect(f.remediation?.text).toContain('SSH by its image lscr.io/linuxserver/openssh-server:latest, whose clients may wait for the server to speak first')
    expect(f.remediation?.text).not.toContain('server-first protocol')
  })

  it('port-protocol labels its HTTP example a guess only when nothing else is known', () => {
    const f = one(judge('workload.port-protocol', {pods: db, services: [service('shop', 'db', {app: 'db'}, [{name: 'main', port: 9000}])]}), 'db')
    expect(f.remediation?.yaml).toContain('appProtocol: http')
    expect(f.remediation?.text).toContain('http where nothing else is known')
  })

  // The injector adds istio-init unless pilot.cni.enabled (istio-discovery files/injection-template.yaml); the
  // istio-cni-node DaemonSet is the component. The fix names what is missing.
  it.each([
    [
      'the node agent runs but pilot.cni.enabled=false',
      {injectorCni: known(false), cniDaemonSet: known('DaemonSet istio-system/istio-cni-node')},
      'istioctl install --set values.pilot.cni.enabled=true',
      /istiod's injector still adds istio-init because pilot.cni.enabled is false/,
    ],
    [
      'Istio installed without istio-cni',
      {injectorCni: known(false), cniDaemonSet: known(null)},
      'istioctl install --set components.cni.enabled=true --set values.pilot.cni.enabled=true',
      /Install the istio-cni node agent \(the cni component\) and tell the injector to use it/,
    ],
    [
      'Istio not installed',
      {},
      'istioctl install --set components.cni.enabled=true --set values.pilot.cni.enabled=true',
      /helm install istio-cni istio\/cni -n istio-system/,
    ],
  ])('net-admin-capabilities: %s → %s', (_name, mesh, command, text) => {
    const pods = deploymentPods('shop', 'web', {containers: [container('web')]})
    const f = one(judge('workload.net-admin-capabilities', {pods, mesh, namespaces: {shop: {'pod-security.kubernetes.io/enforce': 'restricted'}}}), 'shop')
    expect(f.severity).toBe('fail')
    expect(f.remediation?.command).toBe(command)
    expect(f.remediation?.text).toMatch(text)
  })
})

describe('issue 9 §4: findings about one data-plane mode say which', () => {
  const pods = [
    ...deploymentPods('shop', 'web', {securityContext: {runAsUser: 1337}, containers: [container('web', [8080, 15000])]}),
    ...deploymentPods('mesh', 'amb', {containers: [container('amb', [15008])]}),
  ]
  const services = [
    service('shop', 'web', {app: 'web'}, [{port: 3306, targetPort: 8080}]),
    service('shop', 'web-headless', {app: 'web'}, [], {clusterIP: 'None'}),
  ]
  const all = runChecks(
    workloadChecks,
    factsOf({pods, services, namespaces: {shop: {'istio-injection': 'enabled'}, mesh: {'istio.io/dataplane-mode': 'ambient'}}}),
  )
  it.each(['workload.uid-1337', 'workload.net-admin-capabilities', 'workload.server-first', 'workload.headless-service', 'workload.reserved-service-ports'])(
    '%s: every finding is about sidecar mode',
    (id) => {
      const findings = all.filter((f) => f.checkId === id)
      expect(findings.length).toBeGreaterThan(0)
      for (const f of findings) expect([f.subject.name, f.mode]).toEqual([f.subject.name, 'sidecar'])
    },
  )
  it('workload.reserved-ports: the mode the workload runs in', () => {
    expect(all.filter((f) => f.checkId === 'workload.reserved-ports').map((f) => [f.subject.name, f.severity, f.mode])).toEqual([
      ['deployment/amb', 'fail', 'ambient'],
      ['deployment/web', 'fail', 'sidecar'],
    ])
  })
  it('checks that hold in both modes leave mode unset, and nothing here marks planned', () => {
    for (const f of all.filter((x) =>
      ['workload.app-version-labels', 'workload.host-network', 'workload.udp-ports', 'workload.protocol-conflict', 'workload.port-protocol'].includes(
        x.checkId,
      ),
    ))
      expect(f.mode).toBeNull()
    expect(all.every((f) => f.planned)).toBe(true)
  })
})
