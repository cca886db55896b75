import {execFile} from 'node:child_process'
import {UserError} from '../../model/errors.js'
import type {FunctionalFamilies} from './script.js'
import {loadProbeScript, probeArgs} from './script.js'

export interface LocalProbeOptions {
  /** '' = this machine's own files (live /proc); otherwise a mounted image or chroot. */
  readonly hostRoot: string
  readonly kernelRelease?: string
  /** Functional tests run in a scratch network namespace (`unshare --net`), so they need root. */
  readonly functional: FunctionalFamilies
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

/**
 * Runs the same probe script the probe pods run, on this machine. Functional tests always run under
 * `unshare --net`: the rules land in a namespace that disappears with the process (the script also refuses to
 * write rules into its parent's namespace).
 */
export async function runLocalProbe(options: LocalProbeOptions): Promise<string> {
  const script = await loadProbeScript()
  const argv = ['-c', script, ...probeArgs(options.functional)]
  const [file, args] = options.functional ? ['unshare', ['--net', 'sh', ...argv]] : ['sh', argv]
  const env: NodeJS.ProcessEnv = {PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOST_ROOT: options.hostRoot, TERMINATION_MESSAGE_PATH: '/dev/null'}
  if (options.kernelRelease) env.KERNEL_RELEASE = options.kernelRelease
  return new Promise((resolve, reject) => {
    execFile(file, args as string[], {env, timeout: options.timeoutMs, signal: options.signal, maxBuffer: 1024 * 1024}, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new UserError(
            `${options.functional ? '--functional' : '--local, --host-root and --kernel-config'} need${options.functional ? 's' : ''} "${file}" on PATH; install it (util-linux for unshare) or run without that flag`,
          ),
        )
      } else if (error && stdout === '') reject(new Error(`the local probe failed: ${(stderr || error.message).trim().split('\n')[0]}`))
      else resolve(String(stdout))
    })
  })
}
