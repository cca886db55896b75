import {styleText} from 'node:util'

export type Style = 'red' | 'green' | 'yellow' | 'gray' | 'bold' | 'cyan'
export type Paint = (style: Style, text: string) => string

/**
 * Colour only when stdout is a terminal and nobody opted out (`NO_COLOR` with any value, `--no-color`,
 * `TERM=dumb`). `FORCE_COLOR` other than `0` forces it on (e.g. for CI logs that render ANSI).
 */
export function colorEnabled(options: {noColorFlag: boolean; isTTY: boolean; env: NodeJS.ProcessEnv}): boolean {
  const {env} = options
  if (options.noColorFlag || env.NO_COLOR !== undefined) return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0'
  return options.isTTY && env.TERM !== 'dumb'
}

export function painter(enabled: boolean): Paint {
  // The decision is made above; don't let styleText second-guess it from the stream.
  const options = {validateStream: false} as Parameters<typeof styleText>[2]
  return enabled ? (style, text) => styleText(style, text, options) : (_style, text) => text
}
