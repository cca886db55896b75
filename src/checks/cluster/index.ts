import {apiServerReachable} from './api-server.js'
import {kubernetesVersion} from './kubernetes-version.js'
import {pluginPermissions} from './plugin-permissions.js'

/** Sorted by id. */
export const clusterChecks = [apiServerReachable, kubernetesVersion, pluginPermissions] as const
