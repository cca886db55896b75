import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {stringify} from 'yaml'
import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/cli/errors.js'
import {loadKubeTarget} from '../../src/gather/kube/config.js'
import {parseDuration, parseProbeTimeout} from '../../src/gather/kube/duration.js'

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
  const a = write('a.yaml', config('alpha', 'https://alpha.example:6443'))
  const b = write('b.yaml', {
    ...config('beta', 'https://beta.example:6443'),
    clusters: [{name: 'alpha', cluster: {server: 'https://shadowed.example'}}, {name: 'beta', cluster: {server: 'https://beta.example:6443'}}],
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
    expect(target.kc.getContexts().map((c) => c.name).sort()).toEqual(['alpha', 'beta'])
  })

  it('keeps exec credential plugins for the client to run', () => {
    const file = write('exec.yaml', {
      ...config('gke', 'https://gke.example'),
      users: [{name: 'gke', user: {exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'gke-gcloud-auth-plugin', interactiveMode: 'IfAvailable'}}}],
    })
    expect(loadKubeTarget({kubeconfig: file, env: {}}).kc.getCurrentUser()?.exec).toMatchObject({command: 'gke-gcloud-auth-plugin'})
  })

  it.each([
    ['a missing --kubeconfig', () => loadKubeTarget({kubeconfig: path.join(dir, 'missing.yaml'), env: {}}), /--kubeconfig .*missing\.yaml: file not found/],
    ['a KUBECONFIG of only missing files', () => loadKubeTarget({env: {KUBECONFIG: path.join(dir, 'x.yaml')}}), /KUBECONFIG=.*none of these files exists/],
    ['malformed YAML', () => loadKubeTarget({kubeconfig: write('bad.yaml', 'clusters: [\n  - name: x\n  bad'), env: {}}), /bad\.yaml: not valid YAML/],
    ['a YAML list instead of a mapping', () => loadKubeTarget({kubeconfig: write('list.yaml', '- a\n- b\n'), env: {}}), /expected a YAML mapping/],
    ['entries without names', () => loadKubeTarget({kubeconfig: write('noname.yaml', {clusters: [{cluster: {}}]}), env: {}}), /"clusters" must be a list of entries that each have a name/],
    ['an unknown --context', () => loadKubeTarget({kubeconfig: a, context: 'gamma', env: {}}), /--context "gamma" is not in .*\(contexts: alpha\)/],
    ['no current context', () => loadKubeTarget({kubeconfig: write('nocurrent.yaml', {...config('x', 'https://x'), 'current-context': ''}), env: {}}), /no current context is set; pass --context \(one of: x\)/],
    ['a context whose cluster has no server', () => loadKubeTarget({kubeconfig: write('noserver.yaml', {...config('y', ''), clusters: [{name: 'y', cluster: {}}]}), env: {}}), /refers to cluster "y" which has no server/],
    ['no kubeconfig at all', () => loadKubeTarget({env: {HOME: dir}}), /no kubeconfig found/],
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
    ['4s', /too short for a probe pod/],
    ['25h', /longer than a day/],
    ['10000h', /longer than a day/], // would overflow a Node timer and fire at once
  ])('%s is rejected', (input, pattern) => expectUserError(() => parseProbeTimeout(input), pattern))
})
