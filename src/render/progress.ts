import type {Ora} from 'ora'
import {noColorEnv} from './color.js'

/** Progress on stderr, only when stderr is a terminal; silent otherwise (CI logs and pipes stay clean). */
export interface Progress {
  update(text: string): void
  stop(): void
}

const SILENT: Progress = {update: () => {}, stop: () => {}}

export async function startProgress(text: string, stream: NodeJS.WriteStream = process.stderr, env = process.env): Promise<Progress> {
  // A terminal that reports no width (a bare pty) would make ora clear "every line" of its text forever.
  if (!stream.isTTY || !stream.columns || env.TERM === 'dumb' || env.CI !== undefined) return SILENT
  const {default: ora} = await import('ora')
  // NO_COLOR (non-empty, no-color.org) covers the spinner too.
  const spinner: Ora = ora({text, stream, discardStdin: false, color: noColorEnv(env) ? false : 'cyan'}).start()
  return {
    update: (next) => {
      spinner.text = next
    },
    stop: () => spinner.stop(),
  }
}
