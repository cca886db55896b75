import type {Verdict} from './report.js'

/** Documented in README.md#exit-codes. */
export const ExitCode = {
  Ready: 0,
  InternalError: 1,
  UsageError: 2,
  Fail: 3,
  WarningsOnly: 4,
  Incomplete: 5,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** From the strictest to the most lenient. */
export const FAIL_ON = ['warn', 'unknown', 'fail', 'never'] as const
export type FailOn = (typeof FAIL_ON)[number]

/**
 * `--fail-on warn` (default): 3 on a fail, 5 when an area could not be judged, 4 on warnings or unknowns.
 * `--fail-on unknown`: warnings alone exit 0, but a result the plugin could not judge still exits 4.
 * `--fail-on fail`: 3 on a fail, 5 when incomplete, otherwise 0. `--fail-on never`: always 0.
 * `incomplete` is non-zero for every setting but `never`: "nothing was judged" is never success.
 */
export function exitCodeFor(verdict: Verdict, failOn: FailOn, summary?: {readonly warn: number; readonly unknown: number}): ExitCode {
  if (failOn === 'never' || verdict === 'ready') return ExitCode.Ready
  if (verdict === 'not-ready') return ExitCode.Fail
  if (verdict === 'incomplete') return ExitCode.Incomplete
  if (failOn === 'warn') return ExitCode.WarningsOnly
  if (failOn === 'unknown') return (summary?.unknown ?? 1) > 0 ? ExitCode.WarningsOnly : ExitCode.Ready
  return ExitCode.Ready
}
