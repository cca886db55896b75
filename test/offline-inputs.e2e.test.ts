/**
 * Offline kernel inputs through the built CLI (`nodes --kernel-config FILE`, `--host-root DIR`): a fragment or
 * defconfig is reported `unknown` with the reason, never judged; a file without a release is still one report; bad
 * files (not regular, too large, a gzip bomb) are a one-line usage error, exit 2, in bounded memory.
 */
import {execFileSync} from 'node:child_process'
import {createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MAX_CONFIG_BYTES} from '../src/gather/probe/offline.js'
import {cliPath, run, runCli} from './helpers/cli.js'

const KERNELS = path.resolve(import.meta.dirname, 'fixtures/kernels')
const DEFCONFIG = path.join(KERNELS, 'defconfigs/x86_64_defconfig')
const FRAGMENT = path.join(KERNELS, 'defconfigs/kvm_guest.config')
const RHEL = path.join(KERNELS, 'configs/rhel-8.0-x86_64.config')
const DEBIAN_12_TREE = path.join(KERNELS, 'debian-12-6.1.0-56-amd64')
const tmp = mkdtempSync(path.join(tmpdir(), 'offline-inputs-e2e-'))

const FIFO = path.join(tmp, 'config.fifo')
const SOCKET = path.join(tmp, 'config.sock')
const OVERSIZE = path.join(tmp, 'oversize.config')
const BOMB = path.join(tmp, 'bomb.config.gz')
/** Decompresses to 256 MiB (about 260 KB on disk): inflating it whole shows up as hundreds of MB of RSS. */
const BOMB_BYTES = 256 * 1024 * 1024
const ZERO_TREE = path.join(tmp, 'tree-dev-zero')
let socket: Server

beforeAll(async () => {
  execFileSync('mkfifo', [FIFO])
  socket = createServer()
  await new Promise<void>((resolve) => socket.listen(SOCKET, resolve))
  // Larger than any real config, made of real config text (not sparse), so only the size bound can reject it.
  const real = readFileSync(RHEL)
  writeFileSync(OVERSIZE, Buffer.concat(Array.from({length: Math.ceil((MAX_CONFIG_BYTES + 1) / real.length)}, () => real)))
  const zeros = Buffer.alloc(1024 * 1024)
  const inflated = Readable.from(Array.from({length: BOMB_BYTES / zeros.length}, () => zeros))
  await pipeline(inflated, createGzip({level: 9}), createWriteStream(BOMB))
  execFileSync('cp', ['-r', DEBIAN_12_TREE, ZERO_TREE])
  execFileSync('chmod', ['-R', 'u+w', ZERO_TREE])
  const builtin = path.join(ZERO_TREE, 'lib/modules/6.1.0-56-amd64/modules.builtin')
  rmSync(builtin)
  symlinkSync('/dev/zero', builtin)
}, 120_000)
afterAll(() => {
  socket?.close()
  rmSync(tmp, {recursive: true, force: true})
})

interface Report {
  verdict: string
  findings: Array<{checkId: string; severity: string; message: string; planned: boolean}>
  coverage?: Array<{area: string; judged: number; reason?: string}>
}

describe('a config fragment or defconfig is unknown with the reason, never judged', () => {
  it.each([
    ['the upstream x86_64_defconfig', DEFCONFIG],
    ['the upstream kvm_guest.config fragment', FRAGMENT],
  ])('%s: one JSON document, every kernel check unknown naming the fragment and the fix, not ready', async (_name, file) => {
    const r = await runCli(['nodes', '--kernel-config', file, '-o', 'json'])
    expect(r.stderr).toBe('')
    const report = JSON.parse(r.stdout) as Report // the whole stdout is one document
    expect(r.code).not.toBe(0)
    expect([4, 5]).toContain(r.code)
    expect(['warnings', 'incomplete']).toContain(report.verdict)
    const kernelChecks = report.findings.filter((f) => f.checkId === 'node.iptables-backend' || f.checkId === 'node.nftables-backend')
    expect(kernelChecks.length).toBeGreaterThan(0)
    for (const f of kernelChecks) {
      expect(f.severity).toBe('unknown')
      expect(f.message).toContain(`--kernel-config ${file} looks like a config fragment or defconfig, not a full .config`)
      expect(f.message).toContain('pass the full /boot/config-$(uname -r) or /proc/config.gz')
    }
    // Judging the defconfig would fail on options make olddefconfig adds (e.g. NETFILTER_XT_* under !NETFILTER_ADVANCED).
    expect(report.findings.filter((f) => f.severity === 'fail' || f.severity === 'warn')).toEqual([])
  })

  it('the table says why, and its verdict line is not READY', async () => {
    const r = await runCli(['nodes', '--kernel-config', DEFCONFIG])
    expect(r.code).not.toBe(0)
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('looks like a config fragment or defconfig, not a full .config') // tables wrap
    const verdict = r.stdout.split('\n').find((l) => /^(READY|INCOMPLETE|NOT READY)\b/.test(l))
    expect(verdict).toMatch(/^(READY WITH WARNINGS|INCOMPLETE) /) // never a plain READY on nothing judged
  })

  it('the same config made whole judges normally (the check is about the file, not the kernel)', async () => {
    const r = await runCli(['nodes', '--kernel-config', RHEL, '-o', 'json'])
    const report = JSON.parse(r.stdout) as Report
    expect(report.findings.some((f) => f.message.includes('looks like a config fragment'))).toBe(false)
    expect(report.findings.some((f) => f.checkId === 'node.nftables-backend' && f.severity === 'fail')).toBe(true)
  })
})

describe('a config without a release in its header', () => {
  const headerless = path.join(tmp, 'no-release.config')
  beforeAll(() => writeFileSync(headerless, readFileSync(RHEL, 'utf8').replace(/^# Linux\/.*Kernel Configuration$/m, '#')))

  it('is still one JSON document under -o json (unknown, asking for --kernel-release), not a usage error', async () => {
    const r = await runCli(['nodes', '--kernel-config', headerless, '-o', 'json'])
    expect(r.stderr).toBe('')
    const report = JSON.parse(r.stdout) as Report
    expect(r.code).not.toBe(0)
    const backend = report.findings.filter((f) => f.checkId === 'node.iptables-backend')
    expect(backend.length).toBeGreaterThan(0)
    for (const f of backend)
      expect(f).toMatchObject({
        severity: 'unknown',
        message: expect.stringContaining(`--kernel-config ${headerless} names no kernel release in its header; pass --kernel-release`),
      })
  })

  it('with --kernel-release it is judged', async () => {
    const r = await runCli(['nodes', '--kernel-config', headerless, '--kernel-release', '4.18.0-147.el8', '-o', 'json'])
    const report = JSON.parse(r.stdout) as Report
    expect(report.findings.filter((f) => f.checkId === 'node.iptables-backend').every((f) => f.severity !== 'unknown')).toBe(true)
  })
})

describe('bad files: one line naming the flag and the fix, exit 2', () => {
  it.each([
    [
      '/dev/zero',
      ['--kernel-config', '/dev/zero'],
      /^error: --kernel-config \/dev\/zero: a character device, not a regular file; pass a kernel config file such as \/boot\/config-\$\(uname -r\) or \/proc\/config\.gz$/,
    ],
    ['a directory', ['--kernel-config', tmp], /^error: --kernel-config .*: a directory, not a regular file; pass a kernel config file/],
    [
      'a FIFO (would block a plain read forever)',
      ['--kernel-config', FIFO],
      /^error: --kernel-config .*config\.fifo: a FIFO \(named pipe\), not a regular file; pass/,
    ],
    ['a socket', ['--kernel-config', SOCKET], /^error: --kernel-config .*config\.sock: a socket, not a regular file; pass/],
    [
      'a file larger than any config',
      ['--kernel-config', OVERSIZE],
      /^error: --kernel-config .*oversize\.config: larger than 4 MiB, far more than any kernel config \(about 300 KB\); pass/,
    ],
    [
      'a gzip bomb',
      ['--kernel-config', BOMB],
      /^error: --kernel-config .*bomb\.config\.gz: decompresses to more than 4 MiB, far more than any kernel config \(about 300 KB\); pass/,
    ],
    [
      'a host root whose modules.builtin is /dev/zero',
      ['--host-root', ZERO_TREE],
      /^error: --host-root .*tree-dev-zero: lib\/modules\/6\.1\.0-56-amd64\/modules\.builtin is a character device, not a regular file \(the probe reads it\); fix or remove it in the image, or judge the kernel's config alone with --kernel-config FILE$/,
    ],
    [
      '/dev/zero as the host root',
      ['--host-root', '/dev/zero'],
      /^error: --host-root \/dev\/zero: not a directory; pass the root of a mounted node image or chroot$/,
    ],
  ])('%s', async (_name, args, message) => {
    const r = await runCli(['nodes', ...args, '-o', 'json'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr.trimEnd()).toMatch(message)
  })
})

/** GNU time reports the child's peak RSS; without it the memory bound cannot be measured here. */
const gnuTime = ['/usr/bin/time', '/bin/time'].find((t) => existsSync(t) && isGnuTime(t))
function isGnuTime(file: string): boolean {
  try {
    execFileSync(file, ['-v', 'true'], {stdio: 'pipe'})
    return true
  } catch {
    return false
  }
}

describe('bad files are refused in bounded memory', () => {
  /** Far below what reading any of these inputs whole would take (the bomb alone inflates to 256 MiB). */
  const PEAK_LIMIT_KB = 220 * 1024

  it.skipIf(!gnuTime).each([
    ['/dev/zero', ['--kernel-config', '/dev/zero']],
    ['a gzip bomb inflating to 256 MiB', ['--kernel-config', BOMB]],
    ['a file larger than any config', ['--kernel-config', OVERSIZE]],
    ['a host root whose modules.builtin is /dev/zero', ['--host-root', ZERO_TREE]],
  ])(
    `%s: exit 2 with peak RSS under ${PEAK_LIMIT_KB / 1024} MiB${gnuTime ? '' : ' (skipped: GNU time is not installed: apt-get install time)'}`,
    async (_name, args) => {
      const r = await run(gnuTime!, ['-v', process.execPath, cliPath, 'nodes', ...args], {env: {...process.env, NO_COLOR: '1'}, timeoutMs: 30_000})
      expect(r.code).toBe(2)
      const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1])
      expect(peak).toBeGreaterThan(0)
      expect(peak).toBeLessThan(PEAK_LIMIT_KB)
    },
  )
})

describe('fixtures', () => {
  it('the FIFO, the socket and the oversize file are what the cases above claim', () => {
    expect(execFileSync('stat', ['-c', '%F', FIFO], {encoding: 'utf8'}).trim()).toBe('fifo')
    expect(execFileSync('stat', ['-c', '%F', SOCKET], {encoding: 'utf8'}).trim()).toBe('socket')
    expect(readFileSync(OVERSIZE).length).toBeGreaterThan(MAX_CONFIG_BYTES)
  })
})
