/**
 * The linux/amd64 release, end to end: build it once (esbuild bundle → Node single executable → tar.gz → krew
 * manifest), unpack it as krew would, and run it through the real kubectl with no `node` on PATH.
 */
import {createHash} from 'node:crypto'
import {accessSync, constants, mkdtempSync, readdirSync, readFileSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Release} from '../scripts/release/build.js'
import {buildRelease} from '../scripts/release/build.js'
import {NODE_VERSION, selectTargets} from '../scripts/release/targets.js'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {repoRoot, run, runCli} from './helpers/cli.js'
import Check from '../src/commands/check.js'
import {OUTPUT_FORMATS} from '../src/render/index.js'
import type {KrewManifest} from './release-krew.js'
import {installErrors, platformFor, validateKrewManifest} from './release-krew.js'

/** `command -v kubectl`, without a shell. */
function onPath(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, program), constants.X_OK)
      return path.join(dir, program)
    } catch {}
  }
  throw new Error(`${program} is not on PATH`)
}

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix))
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
/** A check report without what differs from run to run: time, latency, probe run ids. */
const steady = (json: string) => {
  const {generatedAt: _, ...report} = JSON.parse(json) as Record<string, unknown>
  return JSON.stringify(report)
    .replace(/(mesh-ready-probe-|"runId":")[0-9a-f]{6}/g, '$1RUN')
    .replace(/"latencyMs":\d+/g, '"latencyMs":N')
    .replace(/answered in \d+ ms/g, 'answered in N ms')
}
/** The only thing allowed to differ between `node bin/…` and the executable: the Node version in --version. */
const sameNode = (text: string) => text.replace(/node-v\d+\.\d+\.\d+/g, 'node-vX')

describe('the linux/amd64 single executable, installed as krew would', () => {
  let release: Release
  let unpacked: string
  let server: TestApiServer
  /** PATH with the unpacked archive and kubectl, and nothing else: no node, no shell tools. */
  let bare: NodeJS.ProcessEnv

  beforeAll(async () => {
    release = await buildRelease({outDir: tmp('mesh-ready-release-'), targets: selectTargets('linux/amd64')})
    unpacked = tmp('mesh-ready-krew-')
    await run('tar', ['-xzf', release.archives[0]!.file, '-C', unpacked])
    const kubectlDir = tmp('mesh-ready-kubectl-')
    symlinkSync(onPath('kubectl'), path.join(kubectlDir, 'kubectl'))
    server = await startApiServer({scenario: 'kind-small'})
    bare = {PATH: [unpacked, kubectlDir].join(path.delimiter), HOME: tmp('mesh-ready-home-'), KUBECONFIG: server.kubeconfigPath, NO_COLOR: '1'}
  }, 240_000)
  afterAll(() => server?.stop())

  const kubectl = (args: string[], env: NodeJS.ProcessEnv = bare) => run('kubectl', args, {env})
  const exe = () => path.join(unpacked, 'kubectl-mesh_ready')

  it('the archive holds the executable, the license, the notices and the completion helper', () => {
    expect(readdirSync(unpacked).sort()).toEqual(['LICENSE', 'THIRD_PARTY_NOTICES', 'kubectl-mesh_ready', 'kubectl_complete-mesh_ready'])
    expect(readFileSync(path.join(unpacked, 'LICENSE'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'))
    const notices = readFileSync(path.join(unpacked, 'THIRD_PARTY_NOTICES'), 'utf8')
    for (const part of [`Node.js v${NODE_VERSION}`, '@oclif/core@', '@kubernetes/client-node@', 'yaml@']) expect(notices).toContain(part)
  })

  it('the rendered manifest passes the krew-index rules and its sha256 is the archive’s', () => {
    expect(validateKrewManifest(release.manifest, 'mesh-ready.yaml')).toEqual([])
    const platform = platformFor(parse(release.manifest) as KrewManifest, 'linux', 'amd64')!
    expect(platform.sha256).toBe(sha256(release.archives[0]!.file))
    expect(platform.uri).toMatch(/\/v\d+\.\d+\.\d+\/mesh-ready_v\d+\.\d+\.\d+_linux_amd64\.tar\.gz$/)
    expect(installErrors(platform, unpacked)).toEqual([])
  })

  it('there is no node on the PATH the plugin runs with', async () => {
    const result = await run('/bin/sh', ['-c', 'command -v node'], {env: bare})
    expect(result.code).not.toBe(0)
  })

  it('kubectl mesh-ready --version runs the executable through the real kubectl', async () => {
    const result = await kubectl(['mesh-ready', '--version'])
    expect(result).toMatchObject({code: 0, stderr: ''})
    expect(result.stdout.trim()).toBe(`kubectl-mesh-ready/${release.version} linux-x64 node-v${NODE_VERSION}`)
  })

  it('kubectl mesh-ready check judges the test cluster exactly as the Node CLI does', async () => {
    const args = ['check', '-o', 'json', '--istio-version', '1.29', '--kubeconfig', server.kubeconfigPath]
    const [packed, node] = await Promise.all([kubectl(['mesh-ready', ...args]), runCli(args)])
    expect(packed.stderr).toBe('')
    expect(packed.code).toBe(node.code)
    const report = JSON.parse(packed.stdout)
    expect(report).toMatchObject({command: 'check', istioVersion: '1.29', target: {server: server.url}})
    expect(report.findings.length).toBeGreaterThan(0)
    expect(steady(packed.stdout)).toEqual(steady(node.stdout))
  })

  it('the table output and the exit code of a check with warnings', async () => {
    const result = await kubectl(['mesh-ready', 'check'])
    expect(result.code).toBe(4)
    // the verdict judges Istio's default plan (sidecar on iptables) of the newest known release
    expect(result.stdout).toMatch(/^READY WITH WARNINGS for sidecar on iptables \(Istio 1\.30 default\)$/m)
  })

  const helpCases = [
    ['--help'],
    ['check', '--help'],
    ['nodes', '--help'],
    ['pods', '--help'],
    ['platform', '--help'],
    ['help', 'check'],
    ['bogus'],
    ['check', '--output', 'nope'],
    ['check', '--no-such-flag'],
  ]
  it.concurrent.each(helpCases)('same commands and flags as bin/kubectl-mesh_ready.js: %s', async (...args) => {
    const [packed, node] = await Promise.all([run(exe(), args, {env: bare}), runCli(args)])
    expect(packed.code).toBe(node.code)
    expect(sameNode(packed.stdout)).toBe(sameNode(node.stdout))
    expect(packed.stderr).toBe(node.stderr)
  })

  it('starts from the code cache trained at build time', async () => {
    const result = await run(exe(), ['--version'], {env: {...bare, KUBECTL_MESH_READY_DEBUG_STARTUP: '1'}})
    expect(result.stderr).toBe('code cache: accepted\n')
  })

  describe('shell completion through kubectl (kubectl_complete-mesh_ready)', () => {
    // The helper is a shell script: it needs awk and sed, so here the system directories are on PATH too.
    const withTools = () => ({...bare, PATH: [bare.PATH, '/usr/bin', '/bin'].join(path.delimiter)})
    const complete = async (...words: string[]) => {
      const result = await kubectl(['__complete', 'mesh-ready', ...words], withTools())
      expect(result.code).toBe(0)
      return result.stdout.trim().split('\n')
    }

    it('completes commands with their summaries', async () => {
      const lines = await complete('')
      expect(lines.at(-1)).toBe(':4')
      expect(lines.map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['check', 'nodes', 'platform', 'pods']))
      expect(lines.find((l) => l.startsWith('check\t'))).toBe(`check\t${Check.summary}`)
      expect(await complete('pl')).toEqual([expect.stringMatching(/^platform\t/), ':4'])
    })

    it('completes flags and flag values', async () => {
      expect(await complete('check', '--outp')).toEqual([expect.stringMatching(/^--output\t/), expect.stringMatching(/^--output-file\t/), ':4'])
      expect(await complete('check', '-o', '')).toEqual([...OUTPUT_FORMATS, ':4'])
      expect(await complete('check', '--fail-on=n')).toEqual(['--fail-on=never', ':4'])
      expect(await complete('check', '--context', '')).toEqual([server.scenario.name ?? 'kind-small', ':4'])
      expect(await complete('check', '--kubeconfig', '')).toEqual([':0'])
    })
  })
})
