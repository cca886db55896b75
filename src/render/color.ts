import {openSync, closeSync} from 'node:fs'
import {WriteStream} from 'node:tty'
import {styleText} from 'node:util'

export type Style = 'red' | 'green' | 'yellow' | 'gray' | 'bold' | 'cyan'
export type Paint = (style: Style, text: string) => string

/** `NO_COLOR` counts only when set to a non-empty value (https://no-color.org). */
export const noColorEnv = (env: NodeJS.ProcessEnv): boolean => env.NO_COLOR !== undefined && env.NO_COLOR !== ''

/**
 * Colour only when stdout is a terminal and nobody opted out (`NO_COLOR` with a non-empty value, `--no-color`,
 * `TERM=dumb`). `FORCE_COLOR` other than `0` forces it on (e.g. for CI logs that render ANSI).
 */
export function colorEnabled(options: {noColorFlag: boolean; isTTY: boolean; env: NodeJS.ProcessEnv}): boolean {
  const {env} = options
  if (options.noColorFlag || noColorEnv(env)) return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0'
  return options.isTTY && env.TERM !== 'dumb'
}

export function painter(enabled: boolean): Paint {
  // The decision is made above; don't let styleText second-guess it from the stream.
  const options = {validateStream: false} as Parameters<typeof styleText>[2]
  return enabled ? (style, text) => styleText(style, text, options) : (_style, text) => text
}

/**
 * Status glyphs (✔ ‼ × ? –) need a UTF-8 locale; without one (LC_ALL, then LC_CTYPE, then LANG, as setlocale reads
 * them), with `NO_COLOR`, `--no-color` or `TERM=dumb` the output is plain ASCII words instead.
 */
export function unicodeEnabled(options: {noColorFlag: boolean; env: NodeJS.ProcessEnv}): boolean {
  const {env} = options
  if (options.noColorFlag || noColorEnv(env) || env.TERM === 'dumb') return false
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? ''
  return /utf-?8/i.test(locale)
}

const columnsOf = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined
  const n = Number(value)
  return n > 0 ? n : undefined
}

/** The width of the controlling terminal, when there is one (stdout and stderr may both be redirected). */
function controllingTerminalColumns(): number | undefined {
  let fd: number | undefined
  try {
    fd = openSync('/dev/tty', 'w')
  } catch {
    return undefined
  }
  try {
    const stream = new WriteStream(fd)
    const columns = stream.columns
    stream.destroy() // closes the descriptor
    return columns > 0 ? columns : undefined
  } catch {
    closeSync(fd)
    return undefined
  }
}

export interface WidthSources {
  readonly env: NodeJS.ProcessEnv
  /** stdout's columns when it is a terminal. */
  readonly stdoutColumns?: number
  /** stderr's columns when it is a terminal. */
  readonly stderrColumns?: number
  /** Reads the controlling terminal's width (injectable for tests). */
  readonly terminal?: () => number | undefined
}

/**
 * The width human output is laid out for: `COLUMNS` first (as `ls` and `kubectl` honour it), then stdout's terminal.
 * `-o wide` written to a file or pipe also asks the real terminal (stderr's, else /dev/tty), since that is where a
 * person reads it; everything else falls back to 80 columns, so CI logs and pipes stay stable.
 */
export function outputWidth(format: string, sources: WidthSources): number {
  const fromEnv = columnsOf(sources.env.COLUMNS)
  if (fromEnv) return fromEnv
  if (sources.stdoutColumns) return sources.stdoutColumns
  if (format === 'wide') {
    const terminal = sources.stderrColumns ?? (sources.terminal ?? controllingTerminalColumns)()
    if (terminal) return terminal
  }
  return 80
}

/** Paint, glyphs and width for this process's stdout: what `emit` passes to the renderers. */
export function terminalOptions(format: string, noColorFlag: boolean, env: NodeJS.ProcessEnv = process.env): {paint: Paint; ascii: boolean; width: number} {
  const stdoutTTY = process.stdout.isTTY === true
  return {
    paint: painter(colorEnabled({noColorFlag, isTTY: stdoutTTY, env})),
    ascii: !unicodeEnabled({noColorFlag, env}),
    width: outputWidth(format, {
      env,
      stdoutColumns: stdoutTTY ? process.stdout.columns : undefined,
      stderrColumns: process.stderr.isTTY === true ? process.stderr.columns : undefined,
    }),
  }
}
