import type {Fact} from '../model/finding.js'
import {known, unavailable} from '../model/finding.js'
import {ApiError} from './kube/errors.js'

/**
 * Runs one read and turns an RBAC denial (403) or a missing API (404) into an unavailable fact that names the
 * missing permission; the checks that need it then report `unknown` and everything else still runs.
 * Connection-level errors still propagate: with no server there is nothing to report.
 */
export async function gatherFact<T>(read: () => Promise<T>): Promise<Fact<T>> {
  try {
    return known(await read())
  } catch (error) {
    return factFromError(error)
  }
}

/** The unavailable fact for a failed API read; anything that is not an API answer (no server, a bug) is rethrown. */
export function factFromError(error: unknown): Fact<never> {
  if (error instanceof ApiError) {
    if (error.status === 403) return unavailable(`forbidden: you may not ${error.permission}`)
    if (error.status === 404) return unavailable(`not served by this cluster: ${error.message}`)
    return unavailable(`the API server answered ${error.status} to ${error.permission}: ${error.message}`)
  }
  throw error
}
