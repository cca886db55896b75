import type {Ora} from 'ora'

/** Progress on stderr, only when stderr is a terminal; silent otherwise (CI logs and pipes stay clean). */
export interface Progress {
  update(text: string): void
  stop(): void
}

const SILENT: Progress = {update: () => {}, stop: () => {}}

export async function startProgress(text: string, stream: NodeJS.WriteStream = process.stderr, env = process.env): Promise<Progress> {
  if (!stream.isTTY || env.TERM === 'dumb' || env.CI !== undefined) return SILENT
  const {default: ora} = await import('ora')
  const spinner: Ora = ora({text, stream, discardStdin: false}).start()
  return {
    update: (next) => {
      spinner.text = next
    },
    stop: () => spinner.stop(),
  }
}
