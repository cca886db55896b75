import {UserError} from '../../model/errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** Parses kubectl-style durations: `30s`, `1m30s`, `500ms`, `2h`, or a bare number of seconds. `0` means none. */
export function parseDuration(input: string, flag: string): number {
  const text = input.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UserError(`${flag}: "${input}" is not a duration; use a value such as 30s, 2m or 1m30s`)
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] ?? 0), 0))
}

const DAY_MS = 24 * 3_600_000

/** A probe --timeout: long enough for a pod to start, short enough for a timer (and activeDeadlineSeconds). */
export function parseProbeTimeout(input: string, flag = '--timeout'): number {
  const ms = parseDuration(input, flag)
  if (ms < 5000 || ms > DAY_MS) throw new UserError(`${flag} ${input} is out of range; use a duration from 5s to 24h, e.g. 2m`)
  return ms
}

/**
 * --request-timeout: 0 (none) or up to a day. Node timers cannot go past about 24.8 days; a larger value would be
 * clamped to 1 ms with a TimeoutOverflowWarning for every request.
 */
export function parseRequestTimeout(input: string, flag = '--request-timeout'): number {
  const ms = parseDuration(input, flag)
  if (ms > DAY_MS || (ms === 0 && !/^0+(\.0+)?(ms|s|m|h)?$/.test(input.trim()))) {
    throw new UserError(`${flag} ${input} is out of range; use 0 (no timeout) or a duration from 1ms to 24h, e.g. 30s`)
  }
  return ms
}
