import type {Verdict} from './report.js'

/** Documented in README.md#exit-codes. */
export const ExitCode = {
  Ready: 0,
  InternalError: 1,
  UsageError: 2,
  Fail: 3,
  WarningsOnly: 4,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const FAIL_ON = ['warn', 'fail', 'never'] as const
export type FailOn = (typeof FAIL_ON)[number]

/**
 * `--fail-on warn` (default): 3 when anything fails, 4 when there are only warnings/unknowns.
 * `--fail-on fail`: 3 when anything fails, otherwise 0. `--fail-on never`: always 0.
 */
export function exitCodeFor(verdict: Verdict, failOn: FailOn): ExitCode {
  if (failOn === 'never' || verdict === 'ready') return ExitCode.Ready
  if (verdict === 'not-ready') return ExitCode.Fail
  return failOn === 'warn' ? ExitCode.WarningsOnly : ExitCode.Ready
}
