/**
 * Offline kernel inputs in the gather layer (src/gather/probe/offline.ts): which files are full kernel configs, and
 * that a fragment, a defconfig or a bad file under --host-root is caught before any node check judges it. Written
 * from the files themselves: every real config in test/fixtures/kernels starts with kconfig's generated header and
 * names INIT_ENV_ARG_LIMIT, LOCALVERSION and DEFAULT_HOSTNAME; the upstream defconfig and fragment name none of them.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, describe, expect, it} from 'vitest'
import {known, unavailable} from '../src/model/finding.js'
import {UserError} from '../src/model/errors.js'
import type {KernelEvidence} from '../src/gather/probe/parse-probe.js'
import {ALWAYS_WRITTEN_SYMBOLS, MAX_CONFIG_BYTES, MAX_LIST_BYTES, configShape, prepareOfflineRoot} from '../src/gather/probe/offline.js'

const KERNELS = path.resolve(import.meta.dirname, 'fixtures/kernels')
const CONFIGS = path.join(KERNELS, 'configs')
const DEFCONFIGS = path.join(KERNELS, 'defconfigs')
const DEBIAN_12 = path.join(KERNELS, 'debian-12-6.1.0-56-amd64')
const RHEL = path.join(CONFIGS, 'rhel-8.0-x86_64.config')
const tmp = mkdtempSync(path.join(tmpdir(), 'offline-inputs-'))
afterAll(() => execFileSync('rm', ['-rf', tmp]))

const realConfigs: Array<[string, string]> = [
  ...readdirSync(CONFIGS).map((f): [string, string] => [f, readFileSync(path.join(CONFIGS, f), 'utf8')]),
  ['debian-12 boot/config-6.1.0-56-amd64', readFileSync(path.join(DEBIAN_12, 'boot/config-6.1.0-56-amd64'), 'utf8')],
  ...(existsSync('/proc/config.gz')
    ? [['this machine /proc/config.gz', gunzipSync(readFileSync('/proc/config.gz')).toString('utf8')] as [string, string]]
    : []),
]

/** A real config, and copies of it with lines dropped: what a careless copy of one looks like. */
const rhel = readFileSync(RHEL, 'utf8')
const without = (text: string, pattern: RegExp) =>
  text
    .split('\n')
    .filter((l) => !pattern.test(l))
    .join('\n')

describe('configShape: full .config or not', () => {
  it('the fixtures hold the real configs this table is about', () => {
    expect(realConfigs.length).toBeGreaterThanOrEqual(8)
  })

  it.each(realConfigs)('%s is a full .config', (_name, text) => {
    expect(configShape(text)).toMatchObject({full: true})
  })

  it.each([
    ['x86_64_defconfig (make savedefconfig output)', readFileSync(path.join(DEFCONFIGS, 'x86_64_defconfig'), 'utf8'), ['header', ...ALWAYS_WRITTEN_SYMBOLS]],
    ['kvm_guest.config (a fragment)', readFileSync(path.join(DEFCONFIGS, 'kvm_guest.config'), 'utf8'), ['header', ...ALWAYS_WRITTEN_SYMBOLS]],
    ['two hand-written lines', 'CONFIG_NETFILTER=y\nCONFIG_NF_TABLES=m\n', ['header', ...ALWAYS_WRITTEN_SYMBOLS]],
    ['a real config without its header comment', without(rhel, /^# (Automatically generated|Linux\/)/), ['header']],
    ['a real config with INIT_ENV_ARG_LIMIT cut out', without(rhel, /^CONFIG_INIT_ENV_ARG_LIMIT=/), ['INIT_ENV_ARG_LIMIT']],
    [
      'a real config with only its CONFIG_…=y lines (grep =y)',
      rhel
        .split('\n')
        .filter((l) => /=y$/.test(l))
        .join('\n'),
      ['header', ...ALWAYS_WRITTEN_SYMBOLS],
    ],
  ])('%s is not a full .config', (_name, text, absent) => {
    const shape = configShape(text)
    expect(shape.full).toBe(false)
    const said = shape.full ? '' : shape.missing.join('; ')
    for (const what of absent) expect(said).toContain(what === 'header' ? 'Automatically generated file; DO NOT EDIT.' : `CONFIG_${what}`)
    for (const present of ALWAYS_WRITTEN_SYMBOLS.filter((s) => !absent.includes(s))) expect(said).not.toContain(`CONFIG_${present}`)
  })

  it('a pre-3.x header ("Automatically generated make config: don\'t edit") counts as the header', () => {
    const old = rhel.replace('# Automatically generated file; DO NOT EDIT.', "# Automatically generated make config: don't edit")
    expect(configShape(old)).toEqual({full: true, release: '4.18.0-147.5.1.el8_1.x86_64'})
  })

  it('"is not set" counts as written (a bool always-written symbol may be off)', () => {
    const off = rhel.replace(/^CONFIG_LOCALVERSION=.*$/m, '# CONFIG_LOCALVERSION is not set')
    expect(configShape(off).full).toBe(true)
  })
})

const evidence = (configSource: string): KernelEvidence => ({
  releaseSource: 'tree',
  configSource,
  live: false,
  procModules: false,
  builtinList: false,
  bootConfig: false,
  modules: {},
  selinux: 'unknown',
})

describe('prepareOfflineRoot --kernel-config: the kernel fact', () => {
  it('a full config is judged as the probe read it', async () => {
    const root = await prepareOfflineRoot({kind: 'kernel-config', file: RHEL}, undefined, false)
    try {
      expect(root.release).toBe('4.18.0-147.5.1.el8_1.x86_64')
      const fact = known(evidence(`/boot/config-${root.release}`))
      expect(root.judge(fact)).toBe(fact)
    } finally {
      await root.dispose()
    }
  })

  it.each([
    ['the upstream defconfig', path.join(DEFCONFIGS, 'x86_64_defconfig'), undefined],
    ['the upstream defconfig, even with --kernel-release', path.join(DEFCONFIGS, 'x86_64_defconfig'), '6.1.0'],
  ])('%s becomes unavailable with the reason and the fix', async (_name, file, release) => {
    const root = await prepareOfflineRoot({kind: 'kernel-config', file}, release, false)
    try {
      const fact = root.judge(known(evidence(`/boot/config-${root.release}`)))
      expect(fact.state).toBe('unavailable')
      const reason = fact.state === 'unavailable' ? fact.reason : ''
      expect(reason).toContain(`--kernel-config ${file} looks like a config fragment or defconfig, not a full .config`)
      expect(reason).toContain('pass the full /boot/config-$(uname -r) or /proc/config.gz')
    } finally {
      await root.dispose()
    }
  })

  it('a full config whose header names no release, and no --kernel-release: unavailable, asking for the flag', async () => {
    const file = path.join(tmp, 'no-release.config')
    writeFileSync(file, rhel.replace(/^# Linux\/.*Kernel Configuration$/m, '#'))
    const root = await prepareOfflineRoot({kind: 'kernel-config', file}, undefined, false)
    try {
      const fact = root.judge(known(evidence(`/boot/config-${root.release}`)))
      expect(fact).toEqual(unavailable(`no kernel evidence: --kernel-config ${file} names no kernel release in its header; pass --kernel-release`))
      const given = await prepareOfflineRoot({kind: 'kernel-config', file}, '4.18.0-147.el8', false)
      const ok = known(evidence('/boot/config-4.18.0-147.el8'))
      expect(given.judge(ok)).toBe(ok)
      await given.dispose()
    } finally {
      await root.dispose()
    }
  })

  it('a fact that is already unavailable is left as it is', async () => {
    const root = await prepareOfflineRoot({kind: 'kernel-config', file: path.join(DEFCONFIGS, 'kvm_guest.config')}, undefined, false)
    const fact = unavailable<KernelEvidence>('no kernel evidence: the local probe failed')
    expect(root.judge(fact)).toBe(fact)
    await root.dispose()
  })
})

/** A copy of the Debian 12 tree to break one file of. */
function tree(name: string): string {
  const dir = path.join(tmp, name)
  execFileSync('cp', ['-r', DEBIAN_12, dir])
  execFileSync('chmod', ['-R', 'u+w', dir])
  return dir
}
const MODDIR = 'lib/modules/6.1.0-56-amd64'

async function usageError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as UserError).line
}

describe('prepareOfflineRoot --host-root: files the probe reads are checked first', () => {
  it('the real Debian 12 tree passes and its config is judged', async () => {
    const root = await prepareOfflineRoot({kind: 'host-root', dir: DEBIAN_12}, undefined, false)
    const fact = known(evidence('/boot/config-6.1.0-56-amd64'))
    expect(root.judge(fact)).toBe(fact)
  })

  it.each([
    [
      'its config is a FIFO',
      (d: string) => (execFileSync('rm', [path.join(d, 'boot/config-6.1.0-56-amd64')]), execFileSync('mkfifo', [path.join(d, 'boot/config-6.1.0-56-amd64')])),
      'boot/config-6.1.0-56-amd64 is a FIFO (named pipe), not a regular file',
    ],
    [
      'modules.builtin is /dev/zero',
      (d: string) => (execFileSync('rm', [path.join(d, MODDIR, 'modules.builtin')]), symlinkSync('/dev/zero', path.join(d, MODDIR, 'modules.builtin'))),
      `${MODDIR}/modules.builtin is a character device, not a regular file`,
    ],
    ['modules.dep is a directory', (d: string) => mkdirSync(path.join(d, MODDIR, 'modules.dep')), `${MODDIR}/modules.dep is a directory, not a regular file`],
    [
      'modules.order is larger than any real one',
      (d: string) => truncateSync(path.join(d, MODDIR, 'modules.order'), MAX_LIST_BYTES + 1),
      `${MODDIR}/modules.order is larger than 16 MiB`,
    ],
    [
      'its config is larger than any real one',
      (d: string) => truncateSync(path.join(d, 'boot/config-6.1.0-56-amd64'), MAX_CONFIG_BYTES + 1),
      'boot/config-6.1.0-56-amd64 is larger than 4 MiB',
    ],
    [
      'proc/config.gz is a gzip bomb',
      (d: string) => (mkdirSync(path.join(d, 'proc')), writeFileSync(path.join(d, 'proc/config.gz'), gzipSync(Buffer.alloc(MAX_CONFIG_BYTES + 1, 'y')))),
      'proc/config.gz decompresses to more than 4 MiB',
    ],
    [
      'a modules-load.d entry is a directory',
      (d: string) => mkdirSync(path.join(d, 'etc/modules-load.d/istio.conf'), {recursive: true}),
      'etc/modules-load.d/istio.conf is a directory',
    ],
  ])('%s: one-line usage error naming the file and the fix', async (name, breakIt, message) => {
    const dir = tree(name.replace(/\W+/g, '-'))
    breakIt(dir)
    const line = await usageError(prepareOfflineRoot({kind: 'host-root', dir}, undefined, false))
    expect(line).toContain(`--host-root ${dir}: ${message}`)
    expect(line).toContain("judge the kernel's config alone with --kernel-config FILE")
    expect(line.split('\n')).toHaveLength(1)
  })

  it("a defconfig as the tree's config makes the kernel fact unavailable, naming the file", async () => {
    const dir = tree('defconfig-tree')
    writeFileSync(path.join(dir, 'boot/config-6.1.0-56-amd64'), readFileSync(path.join(DEFCONFIGS, 'x86_64_defconfig')))
    const root = await prepareOfflineRoot({kind: 'host-root', dir}, undefined, false)
    const fact = root.judge(known(evidence('/boot/config-6.1.0-56-amd64')))
    expect(fact.state === 'unavailable' && fact.reason).toMatch(
      /^no kernel evidence: the kernel config boot\/config-6\.1\.0-56-amd64 under --host-root .* looks like a config fragment or defconfig/,
    )
  })
})
