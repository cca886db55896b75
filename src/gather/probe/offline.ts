import {constants, type Stats} from 'node:fs'
import {type FileHandle, mkdir, mkdtemp, open, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'
import type {Fact} from '../../model/finding.js'
import {unavailable} from '../../model/finding.js'
import {UserError} from '../../model/errors.js'
import type {KernelEvidence} from './parse-probe.js'

export type OfflineInput =
  | {readonly kind: 'local'}
  | {readonly kind: 'host-root'; readonly dir: string}
  | {readonly kind: 'kernel-config'; readonly file: string}

/** A host root for the probe script to read, whatever the offline input was. */
export interface OfflineRoot {
  /** '' = this machine. */
  readonly hostRoot: string
  readonly release?: string
  readonly label: string
  /** Turns "the tree holds no kernel / several kernels" into a usage error naming the input. */
  check(evidence: KernelEvidence | undefined): void
  /**
   * The kernel fact to judge: the probe's, or unavailable with the reason when the config it read cannot be judged
   * (a fragment or defconfig, or a config that names no kernel release), so every node check reports `unknown`.
   */
  judge(kernel: Fact<KernelEvidence>): Fact<KernelEvidence>
  dispose(): Promise<void>
}

const MiB = 1024 * 1024
/**
 * Bounds on what an offline input may hold. The largest distribution kernel configs are about 300 KB (Fedora 42:
 * 293 KB, Debian 13: 283 KB), so a kernel config (plain, gzipped, or once decompressed) above 4 MiB is not one.
 * Module lists are larger (modules.dep of a distribution kernel is about 1 MB); 16 MiB bounds them and every other
 * file the probe reads under --host-root.
 */
export const MAX_CONFIG_BYTES = 4 * MiB
export const MAX_LIST_BYTES = 16 * MiB

const noop = async () => {}

/** The release named in a config's header comment: "# Linux/x86_64 4.18.0-147.5.1.el8_1.x86_64 Kernel Configuration". */
export function configHeaderRelease(text: string): string | undefined {
  return /^# Linux\/\S+ (\S+) Kernel Configuration$/m.exec(text)?.[1]
}

/**
 * Symbols `make olddefconfig` (and every other kconfig front end) writes into every full .config, on every
 * architecture since Linux 2.6.37: none has a dependency, so each is always written (init/Kconfig,
 * https://github.com/torvalds/linux/blob/master/init/Kconfig). INIT_ENV_ARG_LIMIT has no prompt, so `make
 * savedefconfig` never writes it; the other two have defaults a defconfig leaves out.
 */
export const ALWAYS_WRITTEN_SYMBOLS = ['INIT_ENV_ARG_LIMIT', 'LOCALVERSION', 'DEFAULT_HOSTNAME'] as const

/**
 * The header kconfig writes at the top of every full .config (scripts/kconfig/confdata.c,
 * https://github.com/torvalds/linux/blob/master/scripts/kconfig/confdata.c); kernels before 3.x wrote
 * "# Automatically generated make config: don't edit".
 */
const GENERATED_HEADER = /^# Automatically generated (file; DO NOT EDIT\.|make config: don't edit)$/m

export type ConfigShape =
  | {readonly full: true; readonly release?: string}
  | {readonly full: false; readonly missing: readonly string[]; readonly release?: string}

/**
 * Whether a kernel config is a full .config or only a fragment or defconfig (which lists only what differs from the
 * defaults, so judging it would fail on options the config tool adds). Pure; table-tested on real configs.
 */
export function configShape(text: string): ConfigShape {
  const missing: string[] = []
  if (!GENERATED_HEADER.test(text)) missing.push(`no "# Automatically generated file; DO NOT EDIT." header`)
  const absent = ALWAYS_WRITTEN_SYMBOLS.filter((s) => !new RegExp(`^(CONFIG_${s}=|# CONFIG_${s} is not set$)`, 'm').test(text))
  if (absent.length > 0) missing.push(`${absent.map((s) => `CONFIG_${s}`).join(', ')} absent (every full .config has ${absent.length > 1 ? 'them' : 'it'})`)
  const release = configHeaderRelease(text)
  return missing.length === 0 ? {full: true, release} : {full: false, missing, release}
}

/** Why a config cannot be judged, as the kernel fact's reason; undefined when it can. */
function shapeProblem(name: string, shape: ConfigShape, releaseGiven: boolean): string | undefined {
  if (!shape.full) {
    return `${name} looks like a config fragment or defconfig, not a full .config: ${shape.missing.join('; ')}; pass the full /boot/config-$(uname -r) or /proc/config.gz (or run make olddefconfig on it first)`
  }
  if (!shape.release && !releaseGiven) return `${name} names no kernel release in its header; pass --kernel-release`
  return undefined
}

const kindOf = (info: Stats): string =>
  info.isDirectory()
    ? 'a directory'
    : info.isCharacterDevice()
      ? 'a character device'
      : info.isBlockDevice()
        ? 'a block device'
        : info.isFIFO()
          ? 'a FIFO (named pipe)'
          : info.isSocket()
            ? 'a socket'
            : 'not a regular file'

type ReadProblem = {readonly code: string} | {readonly kind: string} | {readonly tooLarge: true}

/**
 * Reads a regular file, never more than `limit` bytes (+1 to tell "too large"). `keep: false` only counts. Never
 * opens what is not a regular file (a FIFO would block, /dev/zero never ends), and reads in 64 KiB chunks, so a
 * file that claims size 0 (procfs) is bounded too.
 */
async function readBounded(file: string, limit: number, keep: boolean): Promise<{bytes: Buffer} | ReadProblem> {
  let info: Stats
  try {
    info = await stat(file)
  } catch (error) {
    return {code: (error as NodeJS.ErrnoException).code ?? (error as Error).message}
  }
  if (!info.isFile()) return {kind: kindOf(info)}
  if (info.size > limit) return {tooLarge: true}
  let handle: FileHandle | undefined
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (error) {
    return {code: (error as NodeJS.ErrnoException).code ?? (error as Error).message}
  }
  try {
    const opened = await handle.stat()
    if (!opened.isFile()) return {kind: kindOf(opened)} // replaced between stat and open
    const chunk = Buffer.allocUnsafe(64 * 1024)
    const parts: Buffer[] = []
    let total = 0
    for (;;) {
      const {bytesRead} = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > limit) return {tooLarge: true}
      if (keep) parts.push(Buffer.from(chunk.subarray(0, bytesRead)))
    }
    return {bytes: Buffer.concat(parts, keep ? total : 0)}
  } catch (error) {
    return {code: (error as NodeJS.ErrnoException).code ?? (error as Error).message}
  } finally {
    await handle.close()
  }
}

const isGzip = (bytes: Buffer) => bytes[0] === 0x1f && bytes[1] === 0x8b

/** Decompresses at most MAX_CONFIG_BYTES: a gzip bomb is refused, not inflated. */
function gunzipBounded(bytes: Buffer): Buffer | 'too-large' | 'corrupt' {
  try {
    return gunzipSync(bytes, {maxOutputLength: MAX_CONFIG_BYTES})
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'corrupt'
  }
}

const bound = (n: number) => `${n / MiB} MiB`
const CONFIG_FIX = 'pass a kernel config file such as /boot/config-$(uname -r) or /proc/config.gz'

async function readConfig(file: string): Promise<string> {
  const flag = `--kernel-config ${file}`
  const read = await readBounded(file, MAX_CONFIG_BYTES, true)
  if ('code' in read) throw new UserError(`${flag}: cannot read it (${read.code}); pass a readable kernel config file`)
  if ('kind' in read) throw new UserError(`${flag}: ${read.kind}, not a regular file; ${CONFIG_FIX}`)
  if ('tooLarge' in read) throw new UserError(`${flag}: larger than ${bound(MAX_CONFIG_BYTES)}, far more than any kernel config (about 300 KB); ${CONFIG_FIX}`)
  let bytes = read.bytes
  if (isGzip(bytes)) {
    const inflated = gunzipBounded(bytes)
    if (inflated === 'too-large')
      throw new UserError(`${flag}: decompresses to more than ${bound(MAX_CONFIG_BYTES)}, far more than any kernel config (about 300 KB); ${CONFIG_FIX}`)
    if (inflated === 'corrupt') throw new UserError(`${flag}: looks gzipped but does not decompress; pass the config itself or a valid config.gz`)
    bytes = inflated
  }
  const text = bytes.toString('utf8')
  if (!/^CONFIG_[A-Z0-9_]+=/m.test(text))
    throw new UserError(`${flag}: not a kernel config (no CONFIG_ lines); pass a file such as /boot/config-$(uname -r) or /proc/config.gz`)
  return text
}

/** The files under a host root the probe script (probe/node-probe.sh) reads, per kernel release, in its order. */
const configCandidates = (rel: string) => [
  'proc/config.gz',
  `boot/config-${rel}`,
  `lib/modules/${rel}/config`,
  `usr/lib/modules/${rel}/config`,
  `usr/lib/ostree-boot/config-${rel}`,
  `usr/lib/kernel/config-${rel}`,
  `usr/src/linux-${rel}/.config`,
  `usr/src/linux-headers-${rel}/.config`,
  `lib/modules/${rel}/build/.config`,
  'usr/src/linux/.config',
]
const moduleLists = (rel: string) =>
  ['lib/modules', 'usr/lib/modules'].flatMap((dir) => ['modules.builtin', 'modules.dep', 'modules.order'].map((f) => `${dir}/${rel}/${f}`))
const OTHER_FILES = [
  'proc/modules',
  'etc/os-release',
  'etc/modules',
  'sys/fs/selinux/enforce',
  'etc/selinux/config',
  'proc/sys/kernel/modprobe',
  'proc/1/net/ip_tables_names',
  'proc/1/net/ip6_tables_names',
  'proc/net/ip_tables_names',
  'proc/net/ip6_tables_names',
]
const MODULES_LOAD_DIRS = ['etc/modules-load.d', 'usr/lib/modules-load.d', 'lib/modules-load.d']
/** More kernels than any image holds; beyond it the release must be chosen with --kernel-release anyway. */
const MAX_RELEASES = 64
const MAX_DIR_ENTRIES = 4096

const SAFE_RELEASE = /^[A-Za-z0-9._+~-]{1,100}$/

async function names(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[])
  return entries.slice(0, MAX_DIR_ENTRIES)
}

interface TreeScan {
  /** Config path as the probe reports it (`/boot/config-…`) → its shape. */
  readonly configs: ReadonlyMap<string, ConfigShape>
}

/**
 * Checks, before the probe script runs, every file it may read under a host root: each that exists must be a
 * regular file within its bound (the script would otherwise block on a FIFO or read /dev/zero forever). Also
 * classifies the config the script will pick for each release, so a fragment is reported, not judged.
 * `strict` (--host-root) makes a bad file a usage error; --local only classifies.
 */
async function scanTree(root: string, flagRelease: string | undefined, strict: boolean, flag: string): Promise<TreeScan> {
  const at = (rel: string) => path.join(root || '/', rel)
  const bad = (rel: string, problem: string) =>
    new UserError(
      `${flag}: ${rel} ${problem} (the probe reads it); fix or remove it in the image, or judge the kernel's config alone with --kernel-config FILE`,
    )
  const validate = async (rel: string, limit: number, keep: boolean): Promise<Buffer | undefined> => {
    const read = await readBounded(at(rel), limit, keep)
    if ('bytes' in read) return read.bytes
    if (!strict || 'code' in read) return undefined // absent or unreadable: the script skips it too
    if ('kind' in read) throw bad(rel, `is ${read.kind}, not a regular file`)
    throw bad(rel, `is larger than ${bound(limit)}, more than any real one`)
  }

  const releases = new Set<string>()
  if (flagRelease) releases.add(flagRelease)
  const osrelease = await validate('proc/sys/kernel/osrelease', 4096, true)
  const live = osrelease?.toString('utf8').trim()
  if (live && SAFE_RELEASE.test(live)) releases.add(live)
  // The script takes the flag's release, else the running kernel's, else the one in the tree: on a live system
  // (--local) that is always the running one; an image's may be any of those it holds.
  if (strict || releases.size === 0) {
    for (const dir of ['lib/modules', 'usr/lib/modules']) for (const name of await names(at(dir))) releases.add(name)
    for (const name of await names(at('boot'))) if (name.startsWith('config-')) releases.add(name.slice('config-'.length))
  }
  const judged = [...releases].filter((r) => SAFE_RELEASE.test(r)).slice(0, MAX_RELEASES)

  const configs = new Map<string, ConfigShape>()
  for (const rel of judged) {
    for (const candidate of configCandidates(rel)) {
      const bytes = await validate(candidate, MAX_CONFIG_BYTES, true)
      if (bytes === undefined || bytes.length === 0) continue // the script takes the first readable, non-empty one
      let text = bytes
      if (candidate.endsWith('.gz')) {
        const inflated = gunzipBounded(bytes)
        if (inflated === 'too-large') {
          if (strict) throw bad(candidate, `decompresses to more than ${bound(MAX_CONFIG_BYTES)}, more than any kernel config`)
          break
        }
        if (inflated === 'corrupt') break // the script reports it unreadable
        text = inflated
      }
      configs.set(`/${candidate}`, configShape(text.toString('utf8')))
      break
    }
    if (strict) for (const list of moduleLists(rel)) await validate(list, MAX_LIST_BYTES, false)
  }
  if (!strict) return {configs}
  for (const file of OTHER_FILES) await validate(file, MAX_LIST_BYTES, false)
  for (const dir of MODULES_LOAD_DIRS) {
    for (const name of await names(at(dir))) if (name.endsWith('.conf')) await validate(`${dir}/${name}`, MAX_LIST_BYTES, false)
  }
  return {configs}
}

/** Makes the kernel fact unavailable when the config the probe read is a fragment (or names no release). */
function judgeWith(configs: ReadonlyMap<string, ConfigShape>, releaseGiven: boolean, describe: (source: string) => string) {
  return (kernel: Fact<KernelEvidence>): Fact<KernelEvidence> => {
    if (kernel.state !== 'known' || !kernel.value.configSource) return kernel
    const shape = configs.get(kernel.value.configSource)
    const problem = shape && shapeProblem(describe(kernel.value.configSource), shape, releaseGiven)
    return problem ? unavailable(`no kernel evidence: ${problem}`) : kernel
  }
}

/**
 * Validates an offline input and lays it out as a host root. A kernel config alone becomes a temporary tree with
 * boot/config-<release>, so the same probe script reads it the same way.
 */
export async function prepareOfflineRoot(input: OfflineInput, kernelRelease: string | undefined, functional: boolean): Promise<OfflineRoot> {
  if (functional && input.kind !== 'local')
    throw new UserError(
      `--functional cannot be combined with --${input.kind}: it applies rules to a running kernel; use it with --local on the node, or against the cluster`,
    )
  if (functional && process.getuid?.() !== 0)
    throw new UserError('--functional with --local needs root: it applies test rules in a scratch network namespace (unshare --net); run it with sudo')
  switch (input.kind) {
    case 'local': {
      const {configs} = await scanTree('', undefined, false, '--local')
      return {hostRoot: '', label: 'this machine', check: () => {}, judge: judgeWith(configs, true, (source) => source), dispose: noop}
    }
    case 'host-root': {
      const dir = path.resolve(input.dir)
      const info = await stat(dir).catch(() => undefined)
      if (!info?.isDirectory()) throw new UserError(`--host-root ${input.dir}: not a directory; pass the root of a mounted node image or chroot`)
      const {configs} = await scanTree(dir, kernelRelease, true, `--host-root ${input.dir}`)
      return {
        hostRoot: dir,
        release: kernelRelease,
        label: input.dir,
        check: (evidence) => {
          if (!evidence || evidence.release) return
          if (evidence.kernels)
            throw new UserError(`--host-root ${input.dir} holds several kernels (${evidence.kernels.join(', ')}); choose one with --kernel-release`)
          throw new UserError(
            `--host-root ${input.dir}: no kernel found (no lib/modules/<release>, usr/lib/modules/<release> or boot/config-<release>); pass the image's root, or --kernel-release`,
          )
        },
        // A host root names its release in its tree (lib/modules/<release>), so a header without one is fine.
        judge: judgeWith(configs, true, (source) => `the kernel config ${source.replace(/^\//, '')} under --host-root ${input.dir}`),
        dispose: noop,
      }
    }
    case 'kernel-config': {
      const text = await readConfig(input.file)
      const shape = configShape(text)
      if (kernelRelease !== undefined && !SAFE_RELEASE.test(kernelRelease))
        throw new UserError(`--kernel-release "${kernelRelease}" is not a kernel release string (e.g. 6.1.0-56-amd64)`)
      const headerRelease = shape.release !== undefined && SAFE_RELEASE.test(shape.release) ? shape.release : undefined
      // No release to lay the config out under: the fact is unavailable (judge), the report still complete.
      const release = kernelRelease ?? headerRelease ?? 'unknown'
      const root = await mkdtemp(path.join(tmpdir(), 'mesh-ready-kconfig-'))
      try {
        await mkdir(path.join(root, 'boot'))
        await writeFile(path.join(root, 'boot', `config-${release}`), text)
      } catch (error) {
        await rm(root, {recursive: true, force: true})
        throw error
      }
      const configs = new Map([[`/boot/config-${release}`, {...shape, release: headerRelease}]])
      return {
        hostRoot: root,
        release,
        label: input.file,
        check: () => {},
        judge: judgeWith(configs, kernelRelease !== undefined, () => `--kernel-config ${input.file}`),
        dispose: () => rm(root, {recursive: true, force: true}),
      }
    }
  }
}
