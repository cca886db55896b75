import {appVersionLabels} from './app-version-labels.js'
import {headlessService} from './headless-service.js'
import {hostNetwork} from './host-network.js'
import {inventory} from './inventory.js'
import {netAdminCapabilities} from './net-admin-capabilities.js'
import {portProtocol} from './port-protocol.js'
import {protocolConflict} from './protocol-conflict.js'
import {reservedPorts} from './reserved-ports.js'
import {reservedServicePorts} from './reserved-service-ports.js'
import {serverFirst} from './server-first.js'
import {uid1337} from './uid-1337.js'
import {udpPorts} from './udp-ports.js'

/** Sorted by id. */
export const workloadChecks = [
  appVersionLabels,
  headlessService,
  hostNetwork,
  inventory,
  netAdminCapabilities,
  portProtocol,
  protocolConflict,
  reservedPorts,
  reservedServicePorts,
  serverFirst,
  udpPorts,
  uid1337,
] as const
