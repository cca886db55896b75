// Fault injection: scenario `faults:` plus those added at runtime with addFault().
import type {Fault} from './scenario.js'

interface ActiveFault {
  fault: Fault
  remaining: number
}

export function faultMatches(f: Fault, method: string, path: string): boolean {
  if (f.method && f.method.toUpperCase() !== method.toUpperCase()) return false
  return f.path.endsWith('*') ? path.startsWith(f.path.slice(0, -1)) : path === f.path
}

export class FaultSet {
  private faults: ActiveFault[] = []

  constructor(initial: readonly Fault[] = []) {
    for (const f of initial) this.add(f)
  }

  add(fault: Fault): void {
    this.faults.push({fault: {...fault}, remaining: fault.times ?? Number.POSITIVE_INFINITY})
  }

  clear(): void {
    this.faults = []
  }

  /** The first fault that applies to a request, consuming one of its `times`. */
  take(method: string, path: string): Fault | undefined {
    const active = this.faults.find((a) => a.remaining > 0 && faultMatches(a.fault, method, path))
    if (!active) return undefined
    active.remaining--
    return active.fault
  }
}
