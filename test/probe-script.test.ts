/**
 * The POSIX probe script itself, run the way the pods and --local run it: under busybox sh and dash, on the real
 * Debian 12 tree, and (as root, in a scratch network namespace) in functional mode against this machine's kernel.
 */
import {execFile} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runLocalProbe} from '../src/gather/probe/local.js'
import {parseProbeOutput} from '../src/gather/probe/parse-probe.js'
import {loadProbeScript, PROBE_REQUEST, probeArgs} from '../src/gather/probe/script.js'

const DEBIAN_12_TREE = path.resolve(import.meta.dirname, 'fixtures/kernels/debian-12-6.1.0-56-amd64')
const onPath = (tool: string) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(path.join(dir, tool)))

function sh(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, {env: {PATH: process.env.PATH, ...env}, timeout: 30_000}, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(String(stdout)),
    ),
  )
}

const shells = [
  ['busybox sh', 'busybox', ['sh']],
  ['dash', 'dash', []],
] as const

describe.each(shells)('static probe under %s on the Debian 12 tree', (name, file, prefix) => {
  it.skipIf(!onPath(file))(
    `reads release, config and module lists${onPath(file) ? '' : ` (skipped: ${file} is not installed; apt-get install busybox)`}`,
    async () => {
      const script = await loadProbeScript()
      const out = await sh(file, [...prefix, '-c', script, ...probeArgs('')], {HOST_ROOT: DEBIAN_12_TREE, TERMINATION_MESSAGE_PATH: '/dev/null'})
      expect(out.length, `${name} report size`).toBeLessThan(4096)
      const parsed = parseProbeOutput(out, PROBE_REQUEST)
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) return
      const ev = parsed.evidence
      expect([ev.release, ev.releaseSource, ev.configSource]).toEqual(['6.1.0-56-amd64', 'tree', '/boot/config-6.1.0-56-amd64'])
      expect([ev.live, ev.procModules, ev.builtinList, ev.loadableList]).toEqual([false, false, true, 'modules.order'])
      expect(ev.modules.nf_tables).toEqual({loaded: false, builtin: false, loadable: true, bootLoad: false})
      expect(ev.modules.br_netfilter?.loadable).toBe(true)
      expect(ev.modules.nf_conntrack_ipv4?.loadable).toBe(false)
      expect(ev.config?.NF_TABLES).toBe('m')
      expect(ev.config?.NF_CONNTRACK_IPV4).toBeUndefined()
      expect(ev.configHeader).toBe('Linux/x86 6.1.192')
      expect(ev.functional).toBeUndefined()
    },
  )
})

describe('the probe reports what the requirement table asks for (Debian 12 tree, plain sh)', () => {
  it("includes the rows Istio's rules need beyond its docs: filter tables, connection marks, route chains (merged on 6.1)", async () => {
    expect(PROBE_REQUEST.modules).toEqual(expect.arrayContaining(['iptable_filter', 'ip6table_filter', 'nft_chain_route_ipv4', 'nft_chain_route_ipv6']))
    expect(PROBE_REQUEST.symbols).toEqual(
      expect.arrayContaining(['NF_CONNTRACK_MARK', 'IP_NF_FILTER', 'IP6_NF_FILTER', 'NFT_CHAIN_ROUTE_IPV4', 'NF_TABLES_IPV6']),
    )
    const script = await loadProbeScript()
    const parsed = parseProbeOutput(
      await sh('sh', ['-c', script, ...probeArgs('')], {HOST_ROOT: DEBIAN_12_TREE, TERMINATION_MESSAGE_PATH: '/dev/null'}),
      PROBE_REQUEST,
    )
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    const ev = parsed.evidence
    // modules.order lists kernel/net/ipv4/netfilter/iptable_filter.ko and the IPv6 one; 6.1 has no route chain modules
    expect([ev.modules.iptable_filter?.loadable, ev.modules.ip6table_filter?.loadable]).toEqual([true, true])
    expect(ev.modules.nft_chain_route_ipv4?.loadable).toBe(false)
    expect([ev.config?.NF_CONNTRACK_MARK, ev.config?.IP_NF_FILTER, ev.config?.NF_TABLES_IPV6, ev.config?.NFT_CHAIN_ROUTE_IPV4]).toEqual([
      'y',
      'm',
      'y',
      undefined,
    ])
    // an image has not booted: nothing is loaded and no modules-load.d exists in this tree
    expect([ev.procModules, ev.bootConfig]).toEqual([false, false])
  })
})

describe('the probe writes its report to the termination message path as well', () => {
  it('writes exactly what it prints', async () => {
    const script = await loadProbeScript()
    const tmp = path.join(import.meta.dirname, `.vitest-termination-${process.pid}`)
    try {
      const out = await sh('sh', ['-c', script, ...probeArgs('')], {HOST_ROOT: DEBIAN_12_TREE, TERMINATION_MESSAGE_PATH: tmp})
      expect(readFileSync(tmp, 'utf8')).toBe(out)
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(tmp, {force: true}))
    }
  })
})

const isRoot = process.getuid?.() === 0
const tools = ['unshare', 'iptables-legacy', 'iptables-nft', 'ip6tables-legacy', 'ip6tables-nft', 'nft', 'ipset', 'ip', 'setpriv']
const missingTools = tools.filter((t) => !onPath(t))
const functionalSkip = !isRoot
  ? 'not root'
  : missingTools.length > 0
    ? `missing ${missingTools.join(', ')} (apt-get install iptables nftables ipset iproute2)`
    : ''

describe('functional mode on this machine, in a scratch network namespace', () => {
  it.skipIf(functionalSkip !== '')(`applies every Istio-shaped rule with each userspace${functionalSkip ? ` (skipped: ${functionalSkip})` : ''}`, async () => {
    const parsed = parseProbeOutput(await runLocalProbe({hostRoot: '', functional: '46', timeoutMs: 30_000}), PROBE_REQUEST)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    const results = parsed.evidence.functional?.results ?? []
    const expected = ['ipset.v4', 'ipset.v6', 'nft.rules', 'nft.tproxy', 'iprule.v4', 'iprule.v6']
    for (const bin of ['iptables-legacy', 'ip6tables-legacy', 'iptables-nft', 'ip6tables-nft'])
      for (const t of ['nat', 'mangle', 'raw', 'tproxy', 'set']) expected.push(`${bin}.${t}`)
    expect(results.filter((r) => r.status !== 'ok')).toEqual([])
    expect(results.map((r) => r.test).sort()).toEqual(expected.sort())
    expect(parsed.evidence.functional?.versions.nft).toMatch(/^nftables v\d/)
  })

  it.skipIf(functionalSkip !== '')(
    `reports the exact error of each failing tool (NET_ADMIN dropped)${functionalSkip ? ` (skipped: ${functionalSkip})` : ''}`,
    async () => {
      const script = await loadProbeScript()
      const out = await sh('unshare', ['--net', 'setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', 'sh', '-c', script, ...probeArgs('4')], {
        HOST_ROOT: '',
        TERMINATION_MESSAGE_PATH: '/dev/null',
      })
      const parsed = parseProbeOutput(out, PROBE_REQUEST)
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) return
      const results = parsed.evidence.functional?.results ?? []
      expect(results.length).toBeGreaterThan(5)
      expect(results.filter((r) => r.status === 'ok')).toEqual([])
      expect(results.find((r) => r.test === 'iptables-legacy.nat')?.error).toMatch(/can't initialize iptables table `nat': Permission denied/)
      expect(results.find((r) => r.test === 'nft.rules')?.error).toMatch(/Operation not permitted/)
    },
  )

  it.skipIf(!isRoot)(`refuses to write rules into its parent's network namespace${isRoot ? '' : ' (skipped: not root)'}`, async () => {
    const script = await loadProbeScript()
    const out = await sh('sh', ['-c', script, ...probeArgs('4')], {HOST_ROOT: '', TERMINATION_MESSAGE_PATH: '/dev/null'})
    const parsed = parseProbeOutput(out, PROBE_REQUEST)
    expect(parsed.ok && parsed.evidence.functional?.results).toEqual([
      {test: 'netns', status: 'fail', error: 'refusing to apply test rules in the host network namespace'},
    ])
  })
})
