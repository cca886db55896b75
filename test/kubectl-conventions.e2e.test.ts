/**
 * The CLI behaves like kubectl (issue 10, "kubectl conventions"): help and version, kubectl's connection flags,
 * kubeconfig errors that name the field, exec credential plugins with a time limit, flag ranges, Istio releases,
 * NO_COLOR and signals. Every case runs the built CLI through the real kubectl (`kubectl mesh-ready …`) against the
 * test API server.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import type {RunResult} from './helpers/cli.js'
import {pluginPathDir, repoRoot, run} from './helpers/cli.js'
import {ISTIO_RELEASES} from '../src/knowledge/istio-releases.js'
import {COMMANDS} from '../src/commands/index.js'

const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-conventions-'))
const home = mkdtempSync(path.join(tmpdir(), 'kubectl-conventions-home-'))
const pluginDir = pluginPathDir()
/** No kubeconfig unless a test passes one: HOME is empty and KUBECONFIG unset. */
const baseEnv = (): NodeJS.ProcessEnv => {
  const {KUBECONFIG: _k, ...env} = process.env
  return {...env, HOME: home, NO_COLOR: '1', PATH: `${pluginDir}${path.delimiter}${process.env.PATH}`}
}
const kubectl = (args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<RunResult> =>
  run('kubectl', ['mesh-ready', ...args], {env: {...baseEnv(), ...env}, timeoutMs})
const write = (name: string, content: unknown, mode?: number) => {
  const file = path.join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : stringify(content))
  if (mode !== undefined) chmodSync(file, mode)
  return file
}
const caFile = path.join(repoRoot, 'test/fixtures/tls/ca.crt')
const caData = readFileSync(caFile).toString('base64')

/** One line on stderr starting with "error: ", nothing on stdout, exit 2. */
const usageError = (r: RunResult): string => {
  expect(r.code, r.stderr).toBe(2)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(r.stdout).toBe('')
  return lines[0]!
}

/** A kubeconfig with one context; `cluster`/`user` are the bodies of its entries. */
const kubeconfig = (name: string, cluster: Record<string, unknown>, user: Record<string, unknown>, extra: {clusters?: unknown[]; users?: unknown[]} = {}) =>
  write(`${name}.yaml`, {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name, cluster}, ...(extra.clusters ?? [])],
    users: [{name, user}, ...(extra.users ?? [])],
    contexts: [{name, context: {cluster: name, user: name}}],
    'current-context': name,
  })

describe('help and version, as kubectl plugins have them', {timeout: 120_000}, () => {
  const commands = Object.keys(COMMANDS)

  it.each(commands)('kubectl mesh-ready %s -h shows the help of that command', async (command) => {
    const short = await kubectl([command, '-h'])
    const long = await kubectl([command, '--help'])
    expect(short.code, short.stderr).toBe(0)
    expect(short.stdout).toContain(`$ kubectl mesh-ready ${command}`)
    expect(short.stdout).toMatch(/-h, --help/)
    expect(short.stdout).toBe(long.stdout)
  })

  it('-h alone and help [COMMAND] show help; oclif internal ids never appear', async () => {
    const [root, rootLong, help, helpCheck, checkHelp] = await Promise.all([
      kubectl(['-h']),
      kubectl(['--help']),
      kubectl(['help']),
      kubectl(['help', 'check']),
      kubectl(['check', '--help']),
    ])
    for (const r of [root, help, helpCheck]) expect(r.code, r.stderr).toBe(0)
    expect(root.stdout).toBe(rootLong.stdout)
    expect(help.stdout).toBe(rootLong.stdout)
    expect(root.stdout).toMatch(/^ {2}version +Print the plugin version/m)
    expect(helpCheck.stdout).toBe(checkHelp.stdout)
    expect(helpCheck.stdout + helpCheck.stderr).not.toMatch(/help:check/)
  })

  it.each([
    [['bogus'], 'bogus'],
    [['foo', 'bar'], 'foo bar'],
    [['help', 'nope'], 'nope'],
  ])('an unknown command %j is one usage error in the words typed', async (args, typed) => {
    const line = usageError(await kubectl(args))
    expect(line).toBe(`error: unknown command "${typed}"; use one of: ${Object.keys(COMMANDS).sort().join(', ')} (kubectl mesh-ready --help)`)
  })

  it('version, --version and version -o json agree', async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {version: string}
    const [text, flag, json, yaml] = await Promise.all([
      kubectl(['version']),
      kubectl(['--version']),
      kubectl(['version', '-o', 'json']),
      kubectl(['version', '-o', 'yaml']),
    ])
    for (const r of [text, flag, json, yaml]) expect(r.code, r.stderr).toBe(0)
    const userAgent = `kubectl-mesh-ready/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
    expect(flag.stdout).toBe(`${userAgent}\n`)
    expect(text.stdout.split('\n')[0]).toBe(userAgent)
    expect(text.stdout).toContain(`Istio releases known: ${ISTIO_RELEASES.map((r) => r.version).join(', ')}`)
    expect(JSON.parse(json.stdout)).toEqual({
      version: pkg.version,
      userAgent,
      platform: process.platform,
      arch: process.arch,
      node: process.version,
      istioReleases: ISTIO_RELEASES.map((r) => r.version),
    })
    expect(yaml.stdout).toMatch(new RegExp(`^version: ${pkg.version.replaceAll('.', '\\.')}$`, 'm'))
    expect(usageError(await kubectl(['version', '-o', 'wide']))).toMatch(/--output=wide to be one of: text, json, yaml/)
  })
})

describe('connection flags and kubeconfig problems', {timeout: 240_000}, () => {
  let server: TestApiServer
  /** `pods -o json` (few requests) with a kubeconfig; resolves with the report's verdict or the error. */
  const pods = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => kubectl(['pods', '-o', 'json', '--istio-version', '1.29', ...args], env)
  const ok = (r: RunResult) => {
    expect([0, 3, 4], r.stderr).toContain(r.code)
    expect(JSON.parse(r.stdout)).toMatchObject({command: 'pods'})
  }
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
  })
  afterAll(() => server?.stop())

  it('--as and repeated --as-group reach the API server as impersonation headers', async () => {
    const before = server.requests.length
    ok(await pods(['--kubeconfig', server.kubeconfigPath, '--as', 'jane', '--as-group', 'dev', '--as-group', 'ops']))
    const seen = server.requests.slice(before)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((r) => r.impersonate?.user === 'jane' && r.impersonate.groups.join(',') === 'dev,ops')).toBe(true)
    const plain = server.requests.length
    ok(await pods(['--kubeconfig', server.kubeconfigPath]))
    expect(server.requests.slice(plain).some((r) => r.impersonate)).toBe(false)
  })

  it("--server and --token replace the kubeconfig's, and work with no kubeconfig at all", async () => {
    const wrong = server.writeKubeconfig({token: 'not-the-token', server: 'https://127.0.0.1:1'})
    usageError(await pods(['--kubeconfig', wrong]))
    ok(await pods(['--kubeconfig', wrong, '--server', server.url, '--token', server.token]))
    ok(await pods(['--server', server.url, '--token', server.token, '--certificate-authority', caFile]))
  })

  it('--cluster and --user pick other kubeconfig entries', async () => {
    const file = kubeconfig(
      'broken',
      {server: 'https://127.0.0.1:1'},
      {token: 'nope'},
      {
        clusters: [{name: 'good', cluster: {server: server.url, 'certificate-authority-data': caData}}],
        users: [{name: 'good', user: {token: server.token}}],
      },
    )
    usageError(await pods(['--kubeconfig', file]))
    ok(await pods(['--kubeconfig', file, '--cluster', 'good', '--user', 'good']))
    expect(usageError(await pods(['--kubeconfig', file, '--cluster', 'nope']))).toMatch(/--cluster "nope" is not in .*\(clusters: broken, good\)/)
  })

  it('--certificate-authority and --insecure-skip-tls-verify, against a server whose CA the kubeconfig lacks', async () => {
    const noCa = server.writeKubeconfig({caData: 'none'})
    expect(usageError(await pods(['--kubeconfig', noCa]))).toMatch(/TLS handshake .* failed/)
    ok(await pods(['--kubeconfig', noCa, '--certificate-authority', caFile]))
    ok(await pods(['--kubeconfig', server.writeKubeconfig({caData: 'wrong'}), '--insecure-skip-tls-verify']))
    expect(usageError(await pods(['--kubeconfig', noCa, '--certificate-authority', path.join(dir, 'nope.crt')]))).toMatch(
      /--certificate-authority .*nope\.crt: file not found/,
    )
  })

  it('-v 6 logs method, URL, status and duration of each request to stderr; no level ever logs the token', async () => {
    const quiet = await pods(['--kubeconfig', server.kubeconfigPath])
    expect(quiet.stderr).toBe('')
    const six = await pods(['--kubeconfig', server.kubeconfigPath, '-v', '6'])
    ok(six)
    const lines = six.stderr.trim().split('\n')
    expect(lines.length).toBeGreaterThan(2)
    for (const line of lines)
      expect(line).toMatch(new RegExp(`^(GET|POST|DELETE|PATCH) ${server.url.replaceAll('.', '\\.')}/\\S+ \\d{3} [A-Za-z ]+ in \\d+ milliseconds$`))
    expect(lines).toContainEqual(expect.stringMatching(/^GET \S+\/api\/v1\/pods\?limit=500 200 OK in \d+ milliseconds$/))
    const nine = await pods(['--kubeconfig', server.kubeconfigPath, '--v=9', '--as', 'jane'])
    ok(nine)
    expect(nine.stderr).toContain('Authorization: Bearer <masked>')
    expect(nine.stderr).toContain('Impersonate-User: jane')
    expect(nine.stderr).not.toContain(server.token)
    const withFlagToken = await pods(['--kubeconfig', server.kubeconfigPath, '-v', '9', '--token', server.token])
    expect(withFlagToken.stderr).not.toContain(server.token)
    expect(usageError(await pods(['--kubeconfig', server.kubeconfigPath, '-v', '11']))).toMatch(/--v "11" is out of range; use an integer from 0 to 10/)
  })

  it('a bad server URL is a usage error naming the kubeconfig field and cluster', async () => {
    for (const bad of ['https://exa mple:6443', 'ftp://127.0.0.1:6443', 'https://']) {
      const file = kubeconfig('weird', {server: bad, 'certificate-authority-data': caData}, {token: server.token})
      const line = usageError(await pods(['--kubeconfig', file]))
      expect(line).toContain(`clusters[].cluster.server of cluster "weird" in ${file} is not a valid API server URL`)
    }
    expect(usageError(await pods(['--kubeconfig', server.kubeconfigPath, '--server', 'not a url']))).toMatch(/^error: --server is not a valid API server URL/)
  })

  it('a missing certificate-authority file is named as such', async () => {
    const file = kubeconfig('noca', {server: server.url, 'certificate-authority': 'certs/missing-ca.crt'}, {token: server.token})
    const line = usageError(await pods(['--kubeconfig', file]))
    expect(line).toBe(
      `error: clusters[].cluster.certificate-authority of cluster "noca" in ${file}: CA certificate file ${path.join(dir, 'certs/missing-ca.crt')} does not exist; fix the path, use certificate-authority-data or pass --certificate-authority`,
    )
  })

  it('an exec credential plugin that works is run (with KUBERNETES_EXEC_INFO); one that hangs is stopped by --request-timeout with its installHint', async () => {
    const good = write(
      'good-plugin.sh',
      `#!/bin/sh\ncase "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 9 ;; esac\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${server.token}"}}'\n`,
      0o755,
    )
    const user = (command: string) => ({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command,
        interactiveMode: 'Never',
        installHint: 'Install hang-plugin: see https://example.invalid/hang-plugin',
      },
    })
    ok(await pods(['--kubeconfig', kubeconfig('exec-good', {server: server.url, 'certificate-authority-data': caData}, user(good))]))

    const hang = write('hang-plugin.sh', '#!/bin/sh\nexec sleep 60\n', 0o755)
    const file = kubeconfig('exec-hang', {server: server.url, 'certificate-authority-data': caData}, user(hang))
    const started = Date.now()
    const line = usageError(await pods(['--kubeconfig', file, '--request-timeout', '1s'], {}))
    expect(Date.now() - started).toBeLessThan(30_000) // the plugin sleeps 60s; node start-up on a busy machine takes a few
    expect(line).toBe(
      `error: exec credential plugin "${hang}" of user "exec-hang" did not answer within 1s (--request-timeout); Install hang-plugin: see https://example.invalid/hang-plugin`,
    )

    const missing = kubeconfig('exec-missing', {server: server.url, 'certificate-authority-data': caData}, user('no-such-auth-plugin'))
    expect(usageError(await pods(['--kubeconfig', missing]))).toMatch(
      /exec credential plugin "no-such-auth-plugin" of user "exec-missing" was not found .*; Install hang-plugin/,
    )
  })
})

describe('a plain-http API server (kubectl proxy)', {timeout: 120_000}, () => {
  let server: TestApiServer
  let proxy: ChildProcess
  let proxyUrl: string
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
    // The real kubectl proxy: plain http on localhost, credentials added by the proxy.
    proxy = spawn('kubectl', ['proxy', '--port=0', '--kubeconfig', server.kubeconfigPath], {stdio: ['ignore', 'pipe', 'pipe']})
    proxyUrl = await new Promise<string>((resolve, reject) => {
      let out = ''
      proxy.stdout!.on('data', (d: Buffer) => {
        out += String(d)
        const match = /Starting to serve on (\S+)/.exec(out)
        if (match) resolve(`http://${match[1]}`)
      })
      proxy.on('exit', (code) => reject(new Error(`kubectl proxy exited ${code}`)))
    })
  })
  afterAll(async () => {
    proxy?.kill()
    await server?.stop()
  })

  it('works with --server http://… and no kubeconfig, and with a kubeconfig whose server is http', async () => {
    const viaFlag = await kubectl(['pods', '-o', 'json', '--server', proxyUrl, '-v', '6'])
    expect([0, 3, 4], viaFlag.stderr).toContain(viaFlag.code)
    expect(JSON.parse(viaFlag.stdout).target.server).toBe(proxyUrl)
    expect(viaFlag.stderr).toMatch(new RegExp(`^GET ${proxyUrl.replaceAll('.', '\\.')}/api/v1/pods\\?limit=500 200 OK`, 'm'))
    const file = kubeconfig('proxy', {server: proxyUrl}, {})
    const viaConfig = await kubectl(['pods', '-o', 'json', '--kubeconfig', file])
    expect([0, 3, 4], viaConfig.stderr).toContain(viaConfig.code)
  })
})

describe('flag values: ranges and Istio releases', {timeout: 120_000}, () => {
  let server: TestApiServer
  let newer: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
    const istiod = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'istiod', namespace: 'istio-system', labels: {app: 'istiod'}},
      spec: {
        selector: {matchLabels: {app: 'istiod'}},
        template: {metadata: {labels: {app: 'istiod'}}, spec: {containers: [{name: 'discovery', image: 'docker.io/istio/pilot:1.99.1'}]}},
      },
    }
    const namespace = {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'istio-system'}}
    newer = await startApiServer({scenario: {name: 'newer-istio', extends: 'kind-small', objects: [namespace, istiod]}})
  })
  afterAll(async () => {
    await server?.stop()
    await newer?.stop()
  })

  it.each([
    [['nodes', '--concurrency', '0'], /--concurrency "0" is out of range; use an integer from 1 to 200/],
    [['check', '--concurrency', '99999999999999999999'], /--concurrency "99999999999999999999" is out of range; use an integer from 1 to 200/],
    [['nodes', '--timeout', '1s'], /--timeout 1s is out of range; use a duration from 5s to 24h/],
    [['check', '--timeout', '9999999h'], /--timeout 9999999h is out of range; use a duration from 5s to 24h/],
    [['pods', '--request-timeout', '99999999999h'], /--request-timeout 99999999999h is out of range; use 0 \(no timeout\) or a duration from 1ms to 24h/],
    [['pods', '--request-timeout', 'soon'], /--request-timeout: "soon" is not a duration/],
  ])('%j is a usage error that gives the allowed range', async (args, pattern) => {
    const r = await kubectl([...args, '--kubeconfig', server.kubeconfigPath])
    expect(usageError(r)).toMatch(pattern)
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/)
  })

  it('the largest allowed --request-timeout runs without a Node timer warning', async () => {
    const r = await kubectl(['pods', '-o', 'json', '--istio-version', '1.29', '--request-timeout', '24h', '--kubeconfig', server.kubeconfigPath])
    expect([0, 3, 4], r.stderr).toContain(r.code)
    expect(r.stderr).toBe('')
  })

  it('--istio-version outside the known releases is a usage error listing them', async () => {
    const known = ISTIO_RELEASES.map((r) => r.version).join(', ')
    for (const given of ['1.99', '1.2.3', '2.0']) {
      expect(usageError(await kubectl(['platform', '--istio-version', given, '--kubeconfig', server.kubeconfigPath]))).toBe(
        `error: --istio-version "${given}" is not a release this plugin knows; use one of: ${known}`,
      )
    }
    expect(usageError(await kubectl(['platform', '--istio-version', 'latest', '--kubeconfig', server.kubeconfigPath]))).toBe(
      `error: --istio-version "latest" is not a version; use one of: ${known}`,
    )
  })

  it('a cluster running a newer Istio than the plugin knows: one notice on stderr, judged against the newest known release', async () => {
    const r = await kubectl(['platform', '-o', 'json', '--kubeconfig', newer.kubeconfigPath])
    expect([0, 3, 4], r.stderr).toContain(r.code)
    const newest = ISTIO_RELEASES[0]!.version
    expect(r.stderr.trim().split('\n')).toEqual([
      `notice: the cluster runs Istio 1.99, newer than the releases this plugin knows (${ISTIO_RELEASES.at(-1)!.version}–${newest}); judging against ${newest}, so its knowledge may be stale: upgrade kubectl-mesh-ready or pass --istio-version`,
    ])
    expect(JSON.parse(r.stdout).plan.istioVersion).toBe(newest)
  })
})

describe('NO_COLOR and signals on a terminal', {timeout: 120_000}, () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
  })
  afterAll(() => server?.stop())

  /** Runs through `script` so stdout is a pseudo-terminal (colour is only ever used on one). */
  const onTty = (args: readonly string[], env: NodeJS.ProcessEnv) => {
    const {NO_COLOR: _n, FORCE_COLOR: _f, ...rest} = baseEnv()
    const line = ['kubectl', 'mesh-ready', ...args].map((a) => `'${a}'`).join(' ')
    // script's pty starts 0×0; a real terminal has a size.
    return run('script', ['-qfec', `stty cols 100 rows 50; ${line}`, '/dev/null'], {env: {...rest, TERM: 'xterm', ...env}})
  }
  // eslint-disable-next-line no-control-regex
  const ANSI = /\u001b\[[0-9;]*m/

  it('NO_COLOR counts only when it is non-empty (no-color.org)', async () => {
    const args = ['pods', '--istio-version', '1.29', '--kubeconfig', server.kubeconfigPath]
    const unset = await onTty(args, {})
    const empty = await onTty(args, {NO_COLOR: ''})
    const set = await onTty(args, {NO_COLOR: '1'})
    expect(unset.stdout).toMatch(ANSI)
    expect(empty.stdout).toMatch(ANSI)
    expect(set.stdout).not.toMatch(ANSI)
    expect(set.stdout).toMatch(/for Istio|READY|WARN/i)
  })

  it('SIGTERM cleans up without offering "press Ctrl-C again"; SIGINT offers it', async () => {
    const slow = await startApiServer({scenario: 'nodes-slow'})
    try {
      const interrupt = (signal: NodeJS.Signals) =>
        new Promise<{code: number | null; stderr: string}>((resolve) => {
          const child = spawn('kubectl', ['mesh-ready', 'nodes', '--kubeconfig', slow.kubeconfigPath, '--timeout', '60s'], {
            env: baseEnv(),
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let stderr = ''
          child.stderr.on('data', (d: Buffer) => (stderr += String(d)))
          const poll = setInterval(() => {
            // Signal once a probe pod exists: the run is mid-flight and has something to clean up.
            if (slow.store.list('pods').some((p) => (p as {metadata: {name?: string}}).metadata.name?.startsWith('mesh-ready-probe-'))) {
              clearInterval(poll)
              child.kill(signal)
            }
          }, 100)
          child.on('exit', (code) => {
            clearInterval(poll)
            resolve({code, stderr})
          })
        })
      const term = await interrupt('SIGTERM')
      expect(term.code).toBe(143)
      expect(term.stderr).toMatch(/SIGTERM received: cleaning up\n/)
      expect(term.stderr).not.toMatch(/Ctrl-C/)
      const int = await interrupt('SIGINT')
      expect(int.code).toBe(130)
      expect(int.stderr).toMatch(/SIGINT received: cleaning up \(press Ctrl-C again to exit at once\)/)
    } finally {
      await slow.stop()
    }
  }, 120_000)
})
