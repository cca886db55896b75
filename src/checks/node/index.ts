import {functionalRules} from './functional-rules.js'
import {iptablesBackend} from './iptables-backend.js'
import {moduleAutoload} from './module-autoload.js'
import {nftablesBackend} from './nftables-backend.js'
import {probe} from './probe.js'
import {probeLeftovers} from './probe-leftovers.js'

/** Checks run once per node group (sorted by id). */
export const nodeGroupChecks = [functionalRules, iptablesBackend, moduleAutoload, nftablesBackend, probe] as const

/** Checks of `kubectl mesh-ready cleanup`. */
export const nodeCleanupChecks = [probeLeftovers] as const

/** Every node check, sorted by id: the registry's list for this category. */
export const nodeChecks = [functionalRules, iptablesBackend, moduleAutoload, nftablesBackend, probe, probeLeftovers] as const
