/** The probe report parser treats its input as hostile: anything malformed is a reason, never a throw. */
import {describe, expect, it} from 'vitest'
import {parseProbeOutput} from '../src/gather/probe/parse-probe.js'

const request = {symbols: ['MODULES', 'NF_TABLES', 'NFT_SOCKET'], modules: ['nf_tables', 'br_netfilter']}
const report = (lines: string[]) => ['mesh-ready-probe 1', ...lines, 'end', ''].join('\n')
const GOOD = [
  'rel 6.1.0-56-amd64',
  'relsrc tree',
  'cfgsrc /boot/config-6.1.0-56-amd64',
  'cfg ymn',
  'src live=1 proc=1 builtin=modules.builtin list=modules.order boot=1 moddir=/lib/modules/6.1.0-56-amd64',
  'mod 5c',
  'selinux enforcing',
  'modprobe /sbin/modprobe ?',
  'ipt nat filter',
  'ip6t none',
]

describe('a well-formed report', () => {
  const parsed = parseProbeOutput(report(GOOD), request)
  it('is parsed into evidence', () => {
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    const ev = parsed.evidence
    expect(ev.release).toBe('6.1.0-56-amd64')
    expect(ev.config).toEqual({MODULES: 'y', NF_TABLES: 'm', NFT_SOCKET: 'n'})
    // 5 = loaded + loadable; c = loadable + listed in modules-load.d
    expect(ev.modules.nf_tables).toEqual({loaded: true, builtin: false, loadable: true, bootLoad: false})
    expect(ev.modules.br_netfilter).toEqual({loaded: false, builtin: false, loadable: true, bootLoad: true})
    expect([ev.live, ev.procModules, ev.builtinList, ev.loadableList]).toEqual([true, true, true, 'modules.order'])
    expect(ev.selinux).toBe('enforcing')
    expect(ev.modprobe).toEqual({path: '/sbin/modprobe', present: undefined})
    expect(ev.legacyTables).toEqual({ipv4: ['nat', 'filter'], ipv6: []})
  })
  it('keeps functional results and the exact error text', () => {
    const withTests = parseProbeOutput(
      report([
        ...GOOD,
        'fv nft nftables v1.0.9 (Old Doc Yak #3)',
        'f nft.rules ok',
        "f iptables-legacy.nat fail iptables v1.8.9 (legacy): can't initialize iptables table `nat': Table does not exist",
        'f ipset absent',
      ]),
      request,
    )
    expect(withTests.ok && withTests.evidence.functional).toEqual({
      results: [
        {test: 'nft.rules', status: 'ok'},
        {test: 'iptables-legacy.nat', status: 'fail', error: "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Table does not exist"},
        {test: 'ipset', status: 'absent'},
      ],
      versions: {nft: 'nftables v1.0.9 (Old Doc Yak #3)'},
    })
  })
  it('reads a report behind log noise, and ignores unknown keys and repeated keys', () => {
    const parsed2 = parseProbeOutput(`some log line\n${report([...GOOD, 'rel 9.9.9-evil', 'future-key whatever'])}`, request)
    expect(parsed2.ok && parsed2.evidence.release).toBe('6.1.0-56-amd64')
  })
  it('reads "config-enforcing" from an image as SELinux configured, not running', () => {
    const img = parseProbeOutput(report(GOOD.map((l) => (l.startsWith('selinux') ? 'selinux config-enforcing' : l))), request)
    expect(img.ok && [img.evidence.selinux, img.evidence.selinuxSource]).toEqual(['enforcing', 'config'])
  })
})

describe('malformed or hostile output becomes a reason, never a crash', () => {
  it.each([
    ['empty', '', /printed nothing/],
    ['not a probe report', 'Error: exec format error\n', /not a mesh-ready probe report/],
    ['cut off at 4 KiB (no end marker)', report(GOOD).replace('end\n', ''), /cut off/],
    ['fewer config entries than requested', report(GOOD.map((l) => (l.startsWith('cfg ') ? 'cfg ym' : l))), /cfg line has 2 entries for 3/],
    ['unexpected config characters', report(GOOD.map((l) => (l.startsWith('cfg ') ? 'cfg y;m' : l))), /cfg line/],
    ['module line with non-hex digits', report(GOOD.map((l) => (l.startsWith('mod ') ? 'mod zz' : l))), /mod line has unexpected/],
    ['no module line', report(GOOD.filter((l) => !l.startsWith('mod '))), /no module line/],
    ['no source line', report(GOOD.filter((l) => !l.startsWith('src '))), /no valid source line/],
    ['release with shell metacharacters', report(GOOD.map((l) => (l.startsWith('rel ') ? 'rel 6.1;rm -rf /' : l))), /not a release string/],
    ['megabytes of output', report([...GOOD, `x ${'a'.repeat(70_000)}`]), /more than a probe ever prints/],
  ])('%s', (_name, text, reason) => {
    const parsed = parseProbeOutput(text, request)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.reason).toMatch(reason)
  })

  it('drops values that are not printable text instead of passing them on', () => {
    const hostile = GOOD.map((l) => (l.startsWith('ipt ') ? 'ipt nat; rm' : l.startsWith('modprobe') ? 'modprobe `id` 1 2' : l))
    const parsed = parseProbeOutput(report([...hostile, 'os \u001b[31mred\u0007']), request)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.evidence.os).toBeUndefined()
    expect(parsed.evidence.legacyTables?.ipv4).toBeUndefined()
    expect(parsed.evidence.modprobe).toBeUndefined()
  })

  it('never throws on random bytes', () => {
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 200; i++) {
      const noise = Array.from({length: 200}, () => String.fromCharCode(Math.floor(rand() * 256))).join('')
      const text = i % 2 ? noise : report([...GOOD.slice(0, Math.floor(rand() * GOOD.length)), noise])
      expect(() => parseProbeOutput(text, request)).not.toThrow()
    }
  })
})
