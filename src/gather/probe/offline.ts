import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'
import {UserError} from '../../cli/errors.js'
import type {KernelEvidence} from './parse-probe.js'

export type OfflineInput = {readonly kind: 'local'} | {readonly kind: 'host-root'; readonly dir: string} | {readonly kind: 'kernel-config'; readonly file: string}

/** A host root for the probe script to read, whatever the offline input was. */
export interface OfflineRoot {
  /** '' = this machine. */
  readonly hostRoot: string
  readonly release?: string
  readonly label: string
  /** Turns "the tree holds no kernel / several kernels" into a usage error naming the input. */
  check(evidence: KernelEvidence | undefined): void
  dispose(): Promise<void>
}

const noop = async () => {}

/** The release named in a config's header comment: "# Linux/x86_64 4.18.0-147.5.1.el8_1.x86_64 Kernel Configuration". */
export function configHeaderRelease(text: string): string | undefined {
  return /^# Linux\/\S+ (\S+) Kernel Configuration$/m.exec(text)?.[1]
}

async function readConfig(file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    throw new UserError(`--kernel-config ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a readable kernel config file`)
  }
  let text: string
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8')
  } catch {
    throw new UserError(`--kernel-config ${file}: looks gzipped but does not decompress; pass the config itself or a valid config.gz`)
  }
  if (!/^CONFIG_[A-Z0-9_]+=/m.test(text)) throw new UserError(`--kernel-config ${file}: not a kernel config (no CONFIG_ lines); pass a file such as /boot/config-$(uname -r) or /proc/config.gz`)
  return text
}

/**
 * Validates an offline input and lays it out as a host root. A kernel config alone becomes a temporary tree with
 * boot/config-<release>, so the same probe script reads it the same way.
 */
export async function prepareOfflineRoot(input: OfflineInput, kernelRelease: string | undefined, functional: boolean): Promise<OfflineRoot> {
  if (functional && input.kind !== 'local') throw new UserError(`--functional cannot be combined with --${input.kind}: it applies rules to a running kernel; use it with --local on the node, or against the cluster`)
  if (functional && process.getuid?.() !== 0) throw new UserError('--functional with --local needs root: it applies test rules in a scratch network namespace (unshare --net); run it with sudo')
  switch (input.kind) {
    case 'local':
      return {hostRoot: '', label: 'this machine', check: () => {}, dispose: noop}
    case 'host-root': {
      const dir = path.resolve(input.dir)
      const info = await stat(dir).catch(() => undefined)
      if (!info?.isDirectory()) throw new UserError(`--host-root ${input.dir}: not a directory; pass the root of a mounted node image or chroot`)
      return {
        hostRoot: dir,
        release: kernelRelease,
        label: input.dir,
        check: (evidence) => {
          if (!evidence || evidence.release) return
          if (evidence.kernels) throw new UserError(`--host-root ${input.dir} holds several kernels (${evidence.kernels.join(', ')}); choose one with --kernel-release`)
          throw new UserError(`--host-root ${input.dir}: no kernel found (no lib/modules/<release>, usr/lib/modules/<release> or boot/config-<release>); pass the image's root, or --kernel-release`)
        },
        dispose: noop,
      }
    }
    case 'kernel-config': {
      const text = await readConfig(input.file)
      const release = kernelRelease ?? configHeaderRelease(text)
      if (!release) throw new UserError(`--kernel-config ${input.file}: its header names no kernel release; pass --kernel-release`)
      if (!/^[A-Za-z0-9._+~-]{1,100}$/.test(release)) throw new UserError(`--kernel-release "${release}" is not a kernel release string (e.g. 6.1.0-56-amd64)`)
      const root = await mkdtemp(path.join(tmpdir(), 'mesh-ready-kconfig-'))
      await mkdir(path.join(root, 'boot'))
      await writeFile(path.join(root, 'boot', `config-${release}`), text)
      return {hostRoot: root, release, label: input.file, check: () => {}, dispose: () => rm(root, {recursive: true, force: true})}
    }
  }
}
