import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {stringify} from 'yaml'
import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/model/errors.js'
import {loadKubeTarget} from '../../src/gather/kube/config.js'
import {parseDuration, parseProbeTimeout, parseRequestTimeout} from '../../src/gather/kube/duration.js'

const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'))
const write = (name: string, content: unknown) => {
  const file = path.join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : stringify(content))
  return file
}
const config = (name: string, server: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{name, cluster: {server, 'certificate-authority': 'ca.crt'}}],
  users: [{name, user: {token: `token-${name}`}}],
  contexts: [{name, context: {cluster: name, user: name, namespace: `ns-${name}`}}],
  'current-context': name,
  ...extra,
})

const expectUserError = (fn: () => unknown, pattern: RegExp) => {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(UserError)
  expect((caught as Error).message).toMatch(pattern)
  expect((caught as Error).message).not.toContain('\n')
}

describe('kubeconfig loading', () => {
  write('ca.crt', 'not parsed at load time\n') // the relative certificate-authority of config() must exist
  const a = write('a.yaml', config('alpha', 'https://alpha.example:6443'))
  const b = write('b.yaml', {
    ...config('beta', 'https://beta.example:6443'),
    clusters: [
      {name: 'alpha', cluster: {server: 'https://shadowed.example'}},
      {name: 'beta', cluster: {server: 'https://beta.example:6443'}},
    ],
  })

  it('loads the current context, its namespace and resolves relative paths against the file', () => {
    const target = loadKubeTarget({kubeconfig: a, env: {}})
    expect(target).toMatchObject({contextName: 'alpha', namespace: 'ns-alpha', server: 'https://alpha.example:6443'})
    expect(target.kc.getCurrentCluster()?.caFile).toBe(path.join(dir, 'ca.crt'))
  })

  it('-n and --context override the kubeconfig', () => {
    const target = loadKubeTarget({env: {KUBECONFIG: [a, b].join(path.delimiter)}, context: 'beta', namespace: 'shop'})
    expect(target).toMatchObject({contextName: 'beta', namespace: 'shop', server: 'https://beta.example:6443'})
  })

  it('merges a KUBECONFIG list like kubectl: first file wins for names and current-context, missing entries are ignored', () => {
    const target = loadKubeTarget({env: {KUBECONFIG: [path.join(dir, 'nope.yaml'), a, b].join(path.delimiter)}})
    expect(target.contextName).toBe('alpha')
    expect(target.server).toBe('https://alpha.example:6443')
    expect(
      target.kc
        .getContexts()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['alpha', 'beta'])
  })

  it('hands exec credential plugins to the client to run (with a time limit), not to client-node', () => {
    const file = write('exec.yaml', {
      ...config('gke', 'https://gke.example'),
      users: [
        {
          name: 'gke',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: 'gke-gcloud-auth-plugin',
              interactiveMode: 'IfAvailable',
              installHint: 'Install gke-gcloud-auth-plugin.',
            },
          },
        },
      ],
    })
    const target = loadKubeTarget({kubeconfig: file, env: {}})
    expect(target.exec).toMatchObject({user: 'gke', command: 'gke-gcloud-auth-plugin', installHint: 'Install gke-gcloud-auth-plugin.'})
    expect(target.kc.getCurrentUser()?.exec).toBeUndefined()
  })

  it('connection flags override the kubeconfig like kubectl', () => {
    const other = write('other.yaml', {
      ...config('alpha', 'https://alpha.example:6443'),
      clusters: [
        {name: 'alpha', cluster: {server: 'https://alpha.example:6443', 'certificate-authority': 'ca.crt'}},
        {name: 'second', cluster: {server: 'https://second.example'}},
      ],
      users: [
        {name: 'alpha', user: {token: 'token-alpha'}},
        {name: 'robot', user: {token: 'token-robot'}},
      ],
    })
    const target = loadKubeTarget({kubeconfig: other, env: {}, cluster: 'second', user: 'robot', as: 'jane', asGroups: ['dev', 'ops']})
    expect(target.server).toBe('https://second.example')
    expect(target.kc.getCurrentUser()).toMatchObject({name: 'robot', token: 'token-robot'})
    expect(target.impersonate).toEqual({user: 'jane', groups: ['dev', 'ops']})
    const flagged = loadKubeTarget({kubeconfig: other, env: {}, server: 'http://127.0.0.1:8001', token: 'flag-token', insecureSkipTlsVerify: true})
    expect(flagged.server).toBe('http://127.0.0.1:8001')
    expect(flagged.kc.getCurrentUser()?.token).toBe('flag-token')
    expect(flagged.kc.getCurrentCluster()).toMatchObject({server: 'http://127.0.0.1:8001', skipTLSVerify: true})
    expect(flagged.kc.getCurrentCluster()?.caFile).toBeUndefined()
    // No kubeconfig at all: --server (and --token) are enough, as with kubectl.
    expect(loadKubeTarget({env: {HOME: dir}, server: 'localhost:6443', token: 't'})).toMatchObject({
      server: 'https://localhost:6443',
      contextName: 'command-line',
    })
  })

  const badServer = write('badserver.yaml', config('broken', 'ftp://x.example'))
  const noCa = write('noca.yaml', {
    ...config('noca', 'https://noca.example'),
    clusters: [{name: 'noca', cluster: {server: 'https://noca.example', 'certificate-authority': 'missing-ca.crt'}}],
  })

  it.each([
    ['a missing --kubeconfig', () => loadKubeTarget({kubeconfig: path.join(dir, 'missing.yaml'), env: {}}), /--kubeconfig .*missing\.yaml: file not found/],
    ['a KUBECONFIG of only missing files', () => loadKubeTarget({env: {KUBECONFIG: path.join(dir, 'x.yaml')}}), /KUBECONFIG=.*none of these files exists/],
    ['malformed YAML', () => loadKubeTarget({kubeconfig: write('bad.yaml', 'clusters: [\n  - name: x\n  bad'), env: {}}), /bad\.yaml: not valid YAML/],
    ['a YAML list instead of a mapping', () => loadKubeTarget({kubeconfig: write('list.yaml', '- a\n- b\n'), env: {}}), /expected a YAML mapping/],
    [
      'entries without names',
      () => loadKubeTarget({kubeconfig: write('noname.yaml', {clusters: [{cluster: {}}]}), env: {}}),
      /"clusters" must be a list of entries that each have a name/,
    ],
    ['an unknown --context', () => loadKubeTarget({kubeconfig: a, context: 'gamma', env: {}}), /--context "gamma" is not in .*\(contexts: alpha\)/],
    [
      'no current context',
      () => loadKubeTarget({kubeconfig: write('nocurrent.yaml', {...config('x', 'https://x'), 'current-context': ''}), env: {}}),
      /no current context is set; pass --context \(one of: x\)/,
    ],
    [
      'a context whose cluster has no server',
      () => loadKubeTarget({kubeconfig: write('noserver.yaml', {...config('y', ''), clusters: [{name: 'y', cluster: {}}]}), env: {}}),
      /refers to cluster "y" which has no server/,
    ],
    ['no kubeconfig at all', () => loadKubeTarget({env: {HOME: dir}}), /no kubeconfig found/],
    [
      'a server that is not an http(s) URL',
      () => loadKubeTarget({kubeconfig: badServer, env: {}}),
      /^clusters\[\]\.cluster\.server of cluster "broken" in .*badserver\.yaml is not a valid API server URL \("ftp:\/\/x\.example"\)/,
    ],
    ['a --server with spaces', () => loadKubeTarget({kubeconfig: a, env: {}, server: 'https://a b'}), /^--server is not a valid API server URL/],
    [
      'a missing certificate-authority file',
      () => loadKubeTarget({kubeconfig: noCa, env: {}}),
      /^clusters\[\]\.cluster\.certificate-authority of cluster "noca" in .*: CA certificate file .*missing-ca\.crt does not exist/,
    ],
    [
      'a missing --certificate-authority',
      () => loadKubeTarget({kubeconfig: a, env: {}, certificateAuthority: path.join(dir, 'nope.crt')}),
      /^--certificate-authority .*nope\.crt: file not found/,
    ],
    ['an unknown --cluster', () => loadKubeTarget({kubeconfig: a, env: {}, cluster: 'zeta'}), /^--cluster "zeta" is not in .*\(clusters: alpha\)/],
    ['an unknown --user', () => loadKubeTarget({kubeconfig: a, env: {}, user: 'zeta'}), /^--user "zeta" is not in .*\(users: alpha\)/],
    ['--as-group without --as', () => loadKubeTarget({kubeconfig: a, env: {}, asGroups: ['dev']}), /--as-group needs --as/],
  ])('%s is a one-line usage error', (_name, fn, pattern) => expectUserError(fn, pattern))
})

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2', 2000],
    ['0', 0],
    ['1h', 3_600_000],
  ])('%s → %i ms', (input, ms) => expect(parseDuration(input, '--timeout')).toBe(ms))

  it.each(['soon', '10x', '-5s', '1m oops'])('%s is rejected naming the flag', (input) => {
    expectUserError(() => parseDuration(input, '--timeout'), /^--timeout: ".*" is not a duration/)
  })
})

describe('probe timeouts', () => {
  it.each([
    ['2m', 120_000],
    ['5s', 5000],
    ['24h', 86_400_000],
  ])('%s → %i ms', (input, ms) => expect(parseProbeTimeout(input)).toBe(ms))
  it.each([
    ['4s', /--timeout 4s is out of range; use a duration from 5s to 24h/],
    ['25h', /--timeout 25h is out of range; use a duration from 5s to 24h/],
    ['10000h', /out of range; use a duration from 5s to 24h/], // would overflow a Node timer and fire at once
  ])('%s is rejected', (input, pattern) => expectUserError(() => parseProbeTimeout(input), pattern))
})

describe('request timeouts', () => {
  it.each([
    ['30s', 30_000],
    ['0', 0],
    ['0s', 0],
    ['24h', 86_400_000],
  ])('%s → %i ms', (input, ms) => expect(parseRequestTimeout(input)).toBe(ms))
  it.each(['25h', '99999999h', '0.0001s'])('%s is rejected with the allowed range', (input) =>
    expectUserError(() => parseRequestTimeout(input), /^--request-timeout .* is out of range; use 0 \(no timeout\) or a duration from 1ms to 24h/),
  )
})
