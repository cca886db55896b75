import {describe, expect, it} from 'vitest'
import type {CheckDefinition, Finding} from '../src/checks/types.js'
import {known, unavailable} from '../src/checks/types.js'
import {workloadChecks} from '../src/checks/workload/index.js'
import {runChecks} from '../src/engine/run-checks.js'
import type {WorkloadFacts} from '../src/gather/workloads.js'
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
    const bare = judge('workload.uid-1337', {pods: [{metadata: {name: 'debug', namespace: 'shop'}, spec: {securityContext: {runAsUser: 1337}, containers: [container('x')]}}]})
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
    if (severity === 'fail') expect(f.remediation?.command).toBe('istioctl install --set components.cni.enabled=true')
  })

  it('unreadable namespace labels → unknown naming why', () => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: unavailable('forbidden: you may not get namespaces (cluster-wide)')}}), 'shop')
    expect(f.severity).toBe('unknown')
    expect(f.message).toContain('forbidden: you may not get namespaces')
  })

  it.each([
    ['the istio-cni DaemonSet', 'pass', {cniDaemonSet: known('DaemonSet kube-system/istio-cni-node')}, /not needed: istio-cni is installed \(DaemonSet kube-system\/istio-cni-node\)/],
    ["the injector's pilot.cni.enabled=true", 'pass', {injectorCni: known(true)}, /not needed: the sidecar injector has pilot.cni.enabled=true/],
    ['pilot.cni.enabled=false although the DaemonSet runs (ambient-only CNI)', 'fail', {injectorCni: known(false), cniDaemonSet: known('DaemonSet istio-system/istio-cni-node')}, /enforces/],
    ['istio-cni unknown', 'unknown', {cniDaemonSet: unavailable('forbidden: you may not list daemonsets.apps (cluster-wide)')}, /unless istio-cni is installed: whether istio-cni is installed could not be read \(forbidden/],
  ])('restricted namespace with %s → %s', (_name, severity, mesh, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: psa({enforce: 'restricted'})}, mesh}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it.each([
    ['--mode ambient', {mode: 'ambient' as const}, /sidecar mode.*--mode ambient/],
    ['a namespace labelled for ambient', {namespaces: {shop: {...psa({enforce: 'restricted'}), 'istio.io/dataplane-mode': 'ambient'}}}, /istio.io\/dataplane-mode=ambient/],
    ['ztunnel installed (auto)', {mesh: {ztunnelDaemonSet: known('DaemonSet istio-system/ztunnel')}}, /ztunnel is installed/],
  ])('ambient via %s → skip, saying why', (_name, extra, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: psa({enforce: 'restricted'})}, ...extra}), 'shop')
    expect(f.severity).toBe('skip')
    expect(f.message).toMatch(message)
  })

  it('a sidecar-injection label wins over ztunnel being installed', () => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), namespaces: {shop: {...psa({enforce: 'baseline'}), 'istio-injection': 'enabled'}}, mesh: {ztunnelDaemonSet: known('DaemonSet istio-system/ztunnel')}}), 'shop')
    expect(f.severity).toBe('fail')
  })

  it.each([
    ['no PSP allows the capabilities', 'fail', [{name: 'restricted', allowedCapabilities: []}], /no PodSecurityPolicy allows NET_ADMIN and NET_RAW \(restricted\)/],
    ['a PSP allows them', 'warn', [{name: 'restricted', allowedCapabilities: []}, {name: 'istio', allowedCapabilities: ['NET_ADMIN', 'NET_RAW']}], /only PodSecurityPolicy istio allows/],
    ['a PSP allows everything', 'warn', [{name: 'privileged', allowedCapabilities: ['*']}], /privileged allows/],
  ])('legacy PodSecurityPolicy: %s → %s', (_name, severity, psps, message) => {
    const f = one(judge('workload.net-admin-capabilities', {pods: pods('shop'), admission: {podSecurityPolicies: known(psps)}}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  const scc = (name: string, caps: string[], users: string[] = [], groups: string[] = []) => ({name, allowedCapabilities: caps, users, groups})
  it.each([
    ['only restricted-v2', 'fail', [scc('restricted-v2', [])], /no SecurityContextConstraints allows/],
    ['privileged exists but is not granted', 'warn', [scc('restricted-v2', []), scc('privileged', ['*'], ['system:admin'], ['system:cluster-admins'])], /lists service account web in its users or groups/],
    ['granted to the service account', 'pass', [scc('istio', ['NET_ADMIN', 'NET_RAW'], ['system:serviceaccount:shop:web'])], /SCC istio grants/],
    ['granted to the namespace group', 'pass', [scc('istio', ['NET_ADMIN', 'NET_RAW'], [], ['system:serviceaccounts:shop'])], /SCC istio grants/],
  ])('OpenShift SCCs: %s → %s', (_name, severity, sccs, message) => {
    const webPods = deploymentPods('shop', 'web', {serviceAccountName: 'web', containers: [container('web')]})
    const f = one(judge('workload.net-admin-capabilities', {pods: webPods, admission: {securityContextConstraints: known(sccs)}}), 'shop')
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it('judges each namespace on its own', () => {
    const findings = judge('workload.net-admin-capabilities', {pods: [...pods('strict'), ...pods('open')], namespaces: {strict: psa({enforce: 'restricted'}), open: {}}})
    expect(severityOf(findings, 'strict')).toEqual(['fail'])
    expect(severityOf(findings, 'open')).toEqual(['pass'])
  })
})

describe('workload.app-version-labels', () => {
  const spec = {containers: [container('c')]}
  const findings = judge('workload.app-version-labels', {
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
    expect(one(findings, 'deployment/no-version').remediation?.command).toBe(`kubectl -n shop patch deployment no-version -p '{"spec":{"template":{"metadata":{"labels":{"version":"v1"}}}}}'`)
  })
})

describe('Service port checks', () => {
  const web = deploymentPods('shop', 'web', {containers: [container('web', [8080, 9090])]}, {labels: {app: 'web', version: 'v1'}})
  const db = deploymentPods('shop', 'db', {containers: [{name: 'db', image: 'docker.io/library/mysql:8.0', ports: [{containerPort: 3306, name: 'mysql'}]}]}, {labels: {app: 'db', version: 'v1'}})
  const smtp = deploymentPods('shop', 'mail', {containers: [{name: 'mail', image: 'example.com/mailer:1', ports: [{containerPort: 25}]}]}, {labels: {app: 'mail', version: 'v1'}})
  const services = [
    service('shop', 'web', {app: 'web'}, [{name: 'http', port: 80, targetPort: 8080}, {name: 'grpc-admin', port: 9090}]),
    service('shop', 'web-metrics', {app: 'web'}, [{port: 9090}]),
    service('shop', 'web-named', {app: 'web'}, [{name: 'web', port: 8080}]),
    service('shop', 'db-ok', {app: 'db'}, [{port: 3306}]),
    service('shop', 'db-shifted', {app: 'db'}, [{name: 'db', port: 13306, targetPort: 'mysql'}]),
    service('shop', 'db-tcp', {app: 'db'}, [{name: 'tcp-db', port: 13306, targetPort: 3306}]),
    service('shop', 'mail', {app: 'mail'}, [{port: 2525, targetPort: 25}]),
    service('shop', 'dns', {app: 'dns'}, [{name: 'dns', port: 53, protocol: 'UDP'}, {name: 'dns-tcp', port: 53}]),
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
    expect(shifted.remediation?.command).toBe(`kubectl -n shop patch service db-shifted --type=json -p '[{"op":"add","path":"/spec/ports/0/appProtocol","value":"tcp"}]'`)
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
      services: [service('shop', 'a', {app: 'db'}, [{name: 'tcp', port: 1, targetPort: 'mysql'}]), service('shop', 'b', {app: 'db'}, [{name: 'mysql', port: 3306}, {name: 'udp', port: 3306, protocol: 'UDP'}])],
    })
    expect(one(findings, 'deployment/db').message).toMatch(/target port 3306\/TCP: Service a port 1 "tcp" → mysql as tcp vs Service b port 3306 "mysql" as mysql/)
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
    expect(one(judge('workload.udp-ports', {pods, services}), 'deployment/dns').message).toMatch(/^serves 5353\/UDP, which Istio does not proxy/)
  })
})

describe('workload.inventory and scope', () => {
  it('reports a namespace whose pods could not be listed as unknown naming the permission, and the rest as judged', () => {
    const findings = judge('workload.inventory', {
      pods: deploymentPods('open', 'web', {containers: [container('web')]}, {count: 4}),
      deniedPods: {secret: 'forbidden: you may not list pods in namespace secret'},
    })
    expect(one(findings, 'secret')).toMatchObject({severity: 'unknown', message: 'its workloads were not judged: forbidden: you may not list pods in namespace secret'})
    expect(one(findings, 'cluster')).toMatchObject({severity: 'pass', message: 'judged 1 workload covering 4 pods in 1 namespace'})
  })

  it("skips system namespaces and leaves Istio's components out of every check", () => {
    const pods = [
      ...deploymentPods('kube-system', 'coredns', {containers: [container('coredns', [53])]}),
      ...deploymentPods('istio-system', 'istiod', {securityContext: {runAsUser: 1337}, containers: [container('discovery', [15012])]}, {labels: {app: 'istiod', istio: 'pilot'}}),
    ]
    const all = runChecks(workloadChecks, factsOf({pods}))
    expect(one(all, 'kube-system')).toMatchObject({checkId: 'workload.inventory', severity: 'skip'})
    expect(all.filter((f) => f.subject.kind === 'Workload')).toEqual([])
    expect(one(all, 'cluster').message).toBe('judged 0 workloads covering 0 pods in 0 namespaces; 1 Istio component left out')
  })

  it('a workload opted out of the mesh is skipped by every mode-dependent check', () => {
    const pods = deploymentPods('shop', 'legacy', {securityContext: {runAsUser: 1337}, containers: [container('x', [15000])]}, {labels: {app: 'legacy', 'sidecar.istio.io/inject': 'false'}})
    const findings = runChecks(workloadChecks, factsOf({pods})).filter((f) => f.subject.name === 'deployment/legacy')
    expect(findings.length).toBeGreaterThan(4)
    for (const f of findings) expect([f.checkId, f.severity, f.message]).toEqual([f.checkId, 'skip', 'not in the mesh (pod label sidecar.istio.io/inject=false)'])
  })
})
